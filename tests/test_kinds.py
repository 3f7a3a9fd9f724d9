"""WordNet's noun hierarchy, as the 'counted' check reads it (qa/text/kinds.py)."""

import pytest

from qa.text.kinds import apart, wider


@pytest.mark.parametrize(
    ("general", "specific", "expected"),
    [
        ("people", "children", True),  # a group counts its members: people -> persons, above children
        ("people", "civilians", True),
        ("vehicles", "trucks", False),  # a near kind above, no collective noun: how reports name them
        ("servicemen", "soldiers", False),
        ("people", "victims", False),  # sufferers: what the event made the people it counts
        ("people", "casualties", False),
        ("people", "hostages", False),
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


@pytest.mark.parametrize(
    ("one", "other", "expected"),
    [
        ("rockets", "troops", True),  # an artifact, a body of people
        ("percent", "teams", True),
        ("measles", "people", True),
        ("soldiers", "troops", False),  # people and groups of people are one sort
        ("members", "soldiers", False),
        ("officers", "protesters", False),  # both people: not this test's to tell apart
        ("qwzxv", "troops", False),
        ("IDPs", "people", False),  # an acronym: WordNet's "idp" is data processing, not displaced people
        ("MPs", "soldiers", False),  # WordNet's "mps" is the mononuclear phagocyte system
    ],
)
def test_apart_reads_wordnet_sorts(one, other, expected):
    assert apart(one, other) is expected
