"""Actor aliases: one actor under many names (ISIS-K, ISKP, IS-K, Islamic State Khorasan Province...).

A curated table ships as ``qa/data/aliases.yaml``; users add or replace groups with their own file
(``CONFLICT_QA_ALIASES_FILE``). ``AliasTable.find`` spots the groups a text mentions, longest alias
first, so a question naming one alias can find reports that use another.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from qa.errors import ConfigError

log = logging.getLogger(__name__)

# Between the parts of an alias: nothing, spaces, hyphens or apostrophes ("ISIS-K" = "ISIS K").
_JOIN = r"[\s\-\u2010\u2011\u2013\u2014'\u2019]*"
_PARTS = re.compile(r"[\s\-\u2010\u2011\u2013\u2014'\u2019]+")


@dataclass(frozen=True)
class AliasGroup:
    """Every name of one actor. ``token`` stands for the actor in the lexical index."""

    name: str
    aliases: tuple[str, ...]

    @property
    def token(self) -> str:
        return "@actor:" + re.sub(r"\W+", "-", self.name.lower()).strip("-")


def _case_sensitive(alias: str) -> bool:
    """Short capitals ("IS") are ordinary words in lower case: match them only in capitals."""
    letters = re.sub(r"\W", "", alias)
    return letters.isupper() and len(letters) <= 2


def _pattern(alias: str) -> str:
    body = _JOIN.join(re.escape(part) for part in _PARTS.split(alias.strip()) if part)
    return f"(?-i:{body})" if _case_sensitive(alias) else body


@dataclass(frozen=True)
class AliasMatch:
    group: AliasGroup
    start: int
    end: int


class AliasTable:
    """Groups of names, matched in text longest-first and without overlaps."""

    def __init__(self, groups: tuple[AliasGroup, ...]) -> None:
        self.groups = groups
        pairs = sorted(
            ((alias, group) for group in groups for alias in group.aliases),
            key=lambda pair: len(pair[0]),
            reverse=True,
        )
        self._by_index = [group for _, group in pairs]
        alternatives = "|".join(f"({_pattern(alias)})" for alias, _ in pairs)
        self._regex = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if pairs else None

    def __len__(self) -> int:
        return len(self.groups)

    def find(self, text: str) -> list[AliasMatch]:
        """Every alias mention in ``text``, left to right; at one position the longest alias wins."""
        if self._regex is None:
            return []
        return [AliasMatch(self._by_index[m.lastindex - 1], m.start(), m.end()) for m in self._regex.finditer(text)]

    def groups_in(self, text: str) -> tuple[AliasGroup, ...]:
        """The distinct groups ``text`` mentions, in order of first mention."""
        seen: dict[str, AliasGroup] = {}
        for match in self.find(text):
            seen.setdefault(match.group.name, match.group)
        return tuple(seen.values())

    def expand(self, text: str, limit: int = 6) -> str | None:
        """``text (also known as: ...)`` naming up to ``limit`` other aliases per group it mentions."""
        groups = self.groups_in(text)
        if not groups:
            return None
        mentioned = {text[m.start : m.end].lower() for m in self.find(text)}
        others = [
            alias
            for group in groups
            for alias in [a for a in group.aliases if a.lower() not in mentioned and not _case_sensitive(a)][:limit]
        ]
        return f"{text} (also known as: {', '.join(others)})" if others else None

    def digest(self) -> str:
        """Changes whenever the table does (the lexical index is keyed by it)."""
        canon = "\n".join(f"{g.name}\t" + "\t".join(g.aliases) for g in self.groups)
        return hashlib.sha256(canon.encode("utf-8")).hexdigest()[:12]


def _parse_groups(data: Any, origin: str) -> list[AliasGroup]:
    items = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ConfigError(f"{origin} has no `groups:` list: see qa/data/aliases.yaml for the format.")
    groups = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("aliases"), list):
            raise ConfigError(f"{origin}, group {n}: write `- name: ...` with an `aliases:` list of names.")
        aliases = tuple(str(a).strip() for a in item["aliases"] if str(a).strip())
        name = str(item.get("name") or (aliases[0] if aliases else "")).strip()
        if not name:
            raise ConfigError(f"{origin}, group {n} has neither a name nor aliases.")
        if name not in aliases:
            aliases = (name, *aliases)
        groups.append(AliasGroup(name, aliases))
    return groups


def _read_yaml(path: Path, origin: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"Aliases file {path} does not exist: fix or unset CONFLICT_QA_ALIASES_FILE.") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"Cannot read {origin}: {exc}. Fix the YAML or unset CONFLICT_QA_ALIASES_FILE.") from exc


def bundled_aliases_path() -> Path:
    return Path(str(resources.files("qa") / "data" / "aliases.yaml"))


@functools.lru_cache(maxsize=8)
def load_aliases(extra: Path | None = None) -> AliasTable:
    """The bundled table, with the groups of ``extra`` added (a group with the same name replaces)."""
    groups = {
        g.name.lower(): g for g in _parse_groups(_read_yaml(bundled_aliases_path(), "aliases.yaml"), "aliases.yaml")
    }
    if extra is not None:
        origin = f"aliases file {extra}"
        for group in _parse_groups(_read_yaml(Path(extra), origin), origin):
            groups[group.name.lower()] = group
    log.debug("alias table: %d groups", len(groups))
    return AliasTable(tuple(groups.values()))
