"""WordNet's noun hierarchy, as the 'counted' check reads it (qa/text/kinds.py)."""

import pytest

from qa.text.kinds import wider


@pytest.mark.parametrize(
    ("general", "specific", "expected"),
    [
        ("people", "children", True),  # a group counts its members: people -> persons, above children
        ("persons", "civilians", True),
        ("vehicles", "trucks", True),
        ("children", "people", False),  # narrower, not wider
        ("teachers", "people", False),
        ("members", "soldiers", False),  # neither above the other
        ("detainees", "prisoners", False),
        ("attackers", "militants", False),
        ("people", "people", False),
        ("qwzxv", "children", False),  # unknown to WordNet: no claim
    ],
)
def test_wider_reads_wordnet_hypernyms(general, specific, expected):
    assert wider(general, specific) is expected
