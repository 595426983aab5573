"""The topic taxonomy: a tree of hierarchical topics, read from the editors' ``taxonomy.toml``.

Topics are stored in records as paths (``Diagnostics > Tubal patency > SIS vs HSG``), the form the encyclopedia's
site shows. In the file each topic has a stable ``id`` and names its ``parent`` by id, so that an editor can move
a branch by changing one line; the path is derived from the names along the parent chain. The same table holds
the topic's auto-tagging rules (see :mod:`library.evidence.classify`) and the clinical question its studies
answer (``therapy``, ``diagnosis``, ...; inherited by children), from which evidence levels are derived.

File format (one ``[[topic]]`` table per topic, parents before or after children, in any order)::

    [[topic]]
    id = "sis-vs-hsg"                    # unique slug: lowercase letters, digits, hyphens
    name = "SIS vs HSG"                  # shown in paths; no '>', ';' or ','
    parent = "tubal-patency"             # id of the parent; omit for one of the top-level categories
    description = "..."                  # optional
    question = "diagnosis"               # optional; therapy | diagnosis | prognosis | harm | screening
    mesh = ["Fallopian Tube Patency Tests"]       # rules, all optional (see classify.py)
    keywords = ["sono-hsg"]
    patterns = ['\\bsono-?salpingogra']
    require = ['tub(al|e)|fallopian']
    exclude = ['hysteroscop']

Errors (TOML syntax, duplicate ids or paths, unknown parents, cycles, bad regular expressions, unknown keys) are
all reported together, each with its line.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LibraryError
from .level import QUESTIONS
from .patterns import Pattern, compile_pattern
from .tomlfile import EvidenceFileError, FileProblem, TableLocator, find_beside, parse_toml, read_text

__all__ = [
    "SEPARATOR",
    "Taxonomy",
    "TaxonomyError",
    "Topic",
    "TopicRules",
    "UnknownTopicError",
    "default_taxonomy_path",
    "find_taxonomy",
    "load_taxonomy",
    "parse_taxonomy",
    "taxonomy_for",
]

SEPARATOR = " > "
TAXONOMY_FILE = "taxonomy.toml"
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TOPIC_KEYS = {"id", "name", "parent", "description", "question", "mesh", "keywords", "patterns", "require",
               "exclude"}
_LIST_KEYS = ("mesh", "keywords", "patterns", "require", "exclude")
_REGEX_KEYS = ("patterns", "require", "exclude")


class TaxonomyError(EvidenceFileError):
    """``taxonomy.toml`` is malformed; every problem carries its line."""


class UnknownTopicError(LibraryError):
    """A topic an editor typed is not in the taxonomy; the message suggests the closest ones."""


@dataclass(frozen=True, slots=True)
class TopicRules:
    """Auto-tagging rules of one topic; a topic with no ``mesh``/``keywords``/``patterns`` is tagged by hand only."""

    mesh: tuple[str, ...] = ()  # MeSH headings, compared case-insensitively without '*' or '/subheading'
    keywords: tuple[str, ...] = ()  # shell-style globs over each keyword ("measure:*dose*")
    patterns: tuple[Pattern, ...] = ()  # searched in lower-cased title, abstract, keywords and MeSH
    require: tuple[Pattern, ...] = ()  # every one must also match
    exclude: tuple[Pattern, ...] = ()  # none may match

    def is_empty(self) -> bool:
        return not (self.mesh or self.keywords or self.patterns)


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    name: str
    path: str
    parent: str  # parent id, "" for a top-level category
    description: str = ""
    question: str = ""  # as written in the file; see Taxonomy.question_of for the inherited value
    rules: TopicRules = field(default_factory=TopicRules)
    line: int = 0

    @property
    def depth(self) -> int:
        return self.path.count(SEPARATOR)


class Taxonomy:
    """The validated topic tree; look topics up by path (case-insensitive), id or unique name."""

    def __init__(self, topics: Sequence[Topic], path: Path | None = None) -> None:
        self.path = path
        self._by_id = {t.id: t for t in topics}
        self._by_path = {t.path.casefold(): t for t in topics}
        self._children: dict[str, list[Topic]] = {}
        for topic in topics:
            self._children.setdefault(topic.parent, []).append(topic)
        self._order: list[Topic] = []
        stack = list(reversed(self._children.get("", [])))
        while stack:  # depth-first, file order among siblings: the order a tree view shows
            topic = stack.pop()
            self._order.append(topic)
            stack.extend(reversed(self._children.get(topic.id, [])))
        self.with_rules = [t for t in self._order if not t.rules.is_empty()]
        """Topics that auto-tag, in tree order (computed once: classification walks it for every record)."""

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Topic]:
        """Depth-first, in file order among siblings: the order a tree view shows."""
        return iter(self._order)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and path.strip().casefold() in self._by_path

    def get(self, path: str) -> Topic | None:
        return self._by_path.get(path.strip().casefold())

    def by_id(self, topic_id: str) -> Topic | None:
        return self._by_id.get(topic_id)

    def paths(self) -> list[str]:
        return [t.path for t in self]

    def roots(self) -> list[Topic]:
        return list(self._children.get("", []))

    def children(self, topic: Topic) -> list[Topic]:
        return list(self._children.get(topic.id, []))

    def ancestors(self, path: str) -> list[str]:
        """Paths of the topic's ancestors, root first (by path arithmetic, so unknown paths work too)."""
        parts = [p.strip() for p in path.split(">")]
        return [SEPARATOR.join(parts[:i]) for i in range(1, len(parts))]

    def question_of(self, path: str) -> str:
        """The clinical question of a topic: its own ``question`` or the nearest ancestor's; '' when none."""
        topic = self.get(path)
        while topic is not None:
            if topic.question:
                return topic.question
            topic = self._by_id.get(topic.parent)
        return ""

    def question_for(self, topics: Iterable[str]) -> str:
        """The question most of ``topics`` answer (ties: the earliest topic's), '' when none has one."""
        questions = [q for q in (self.question_of(t) for t in topics) if q]
        if not questions:
            return ""
        counts = Counter(questions)
        best = max(counts.values())
        return next(q for q in questions if counts[q] == best)

    def resolve(self, text: str) -> Topic:
        """What an editor typed -> a topic: a full path, an id, or a name that only one topic has."""
        wanted = text.strip()
        topic = self.get(wanted) or self._by_id.get(wanted)
        if topic is not None:
            return topic
        named = [t for t in self if t.name.casefold() == wanted.casefold()]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise UnknownTopicError(f"topic name {wanted!r} is ambiguous: "
                                    + "; ".join(t.path for t in named) + " (give the full path)")
        choices = {t.path.casefold(): t.path for t in self} | {t.name.casefold(): t.path for t in self}
        close = difflib.get_close_matches(wanted.casefold(), list(choices), n=3, cutoff=0.6)
        suggestions = list(dict.fromkeys(choices[c] for c in close))
        hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        where = f" in {self.path}" if self.path else ""
        raise UnknownTopicError(f"unknown topic {wanted!r}{where}{hint}")

    def tree(self) -> list[dict[str, Any]]:
        """Nested ``{id, name, path, question, description, children}`` dicts for tree widgets and JSON."""
        def node(topic: Topic) -> dict[str, Any]:
            return {"id": topic.id, "name": topic.name, "path": topic.path,
                    "question": self.question_of(topic.path), "description": topic.description,
                    "children": [node(c) for c in self._children.get(topic.id, [])]}
        return [node(t) for t in self.roots()]


# --- parsing ------------------------------------------------------------------------------------------------
def _string_list(raw: Any) -> list[str] | None:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return list(raw)
    return None


def _check_item(item: Any, i: int, where: TableLocator, path: str, problems: list[FileProblem]) -> dict[str, Any]:
    """Field-level checks of one ``[[topic]]``; returns the cleaned fields (regexes compiled)."""
    line = where.item_line(i)
    if not isinstance(item, dict):
        problems.append(FileProblem(path, line, "each topic must be a table"))
        return {}
    clean: dict[str, Any] = {}
    for key in item:
        if key not in _TOPIC_KEYS:
            close = difflib.get_close_matches(key, sorted(_TOPIC_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(FileProblem(path, where.key_line(i, key), f"unknown key {key!r}{hint}"))
    topic_id = item.get("id")
    if not isinstance(topic_id, str) or not _ID.match(topic_id):
        problems.append(FileProblem(path, where.key_line(i, "id"),
                                    "topic needs an id of lowercase letters, digits and hyphens, e.g. 'sis-vs-hsg'"))
        return {}
    clean["id"] = topic_id
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or any(c in name for c in ">;,"):
        problems.append(FileProblem(path, where.key_line(i, "name"),
                                    f"topic {topic_id!r} needs a name without '>', ';' or ','"))
        return {}
    clean["name"] = " ".join(name.split())
    for key in ("parent", "description", "question"):
        value = item.get(key, "")
        if not isinstance(value, str):
            problems.append(FileProblem(path, where.key_line(i, key), f"{key} of {topic_id!r} must be a string"))
            value = ""
        clean[key] = value.strip()
    if clean["question"] and clean["question"] not in QUESTIONS:
        problems.append(FileProblem(path, where.key_line(i, "question"),
                                    f"question of {topic_id!r} must be one of {', '.join(QUESTIONS)}"))
        clean["question"] = ""
    for key in _LIST_KEYS:
        values = _string_list(item.get(key, []))
        if values is None:
            problems.append(FileProblem(path, where.key_line(i, key), f"{key} of {topic_id!r} must be strings"))
            values = []
        if key in _REGEX_KEYS:
            compiled = []
            for text in values:
                try:
                    compiled.append(compile_pattern(text))
                except re.error as exc:
                    problems.append(FileProblem(path, where.key_line(i, key),
                                                f"bad regular expression {text!r} in {key} of {topic_id!r}: {exc}"))
            clean[key] = tuple(compiled)
        else:
            clean[key] = tuple(v.strip() for v in values if v.strip())
    return clean


def _paths(items: list[dict[str, Any]], lines: dict[str, int], path: str,
           problems: list[FileProblem]) -> dict[str, str]:
    """id -> path, following parents; reports unknown parents and cycles (topics in a cycle get no path)."""
    by_id = {it["id"]: it for it in items}
    out: dict[str, str] = {}
    reported: set[frozenset[str]] = set()
    for item in items:
        chain = [item["id"]]
        current = item
        while current["parent"]:
            parent = current["parent"]
            if parent not in by_id:
                problems.append(FileProblem(path, lines[current["id"] + ".parent"],
                                            f"topic {current['id']!r} has unknown parent {parent!r}"))
                break
            if parent in chain:
                members = chain[chain.index(parent):]
                if frozenset(members) not in reported:  # each cycle once, at its first line in the file
                    reported.add(frozenset(members))
                    first = min(members, key=lambda m: lines[m + ".parent"])
                    start = members.index(first)
                    loop = members[start:] + members[:start] + [first]
                    problems.append(FileProblem(path, lines[first + ".parent"],
                                                "parent cycle: " + " -> ".join(loop)))
                break
            chain.append(parent)
            current = by_id[parent]
        else:
            out[item["id"]] = SEPARATOR.join(by_id[t]["name"] for t in reversed(chain))
    return out


def parse_taxonomy(text: str, path: str = TAXONOMY_FILE) -> Taxonomy:
    """Validate the text of a taxonomy file; raises :class:`TaxonomyError` listing every problem with its line."""
    try:
        data = parse_toml(text, path)
    except EvidenceFileError as exc:
        raise TaxonomyError(exc.problems) from exc
    where = TableLocator(text, "topic")
    problems: list[FileProblem] = []
    for key in data:
        if key != "topic":
            problems.append(FileProblem(path, 0, f"unknown top-level key {key!r} (topics go in [[topic]] tables)"))
    raw = data.get("topic", [])
    if not isinstance(raw, list):
        raise TaxonomyError([FileProblem(path, 0, "'topic' must be an array of tables: [[topic]]")])
    items: list[dict[str, Any]] = []
    lines: dict[str, int] = {}
    for i, item in enumerate(raw):
        clean = _check_item(item, i, where, path, problems)
        if not clean:
            continue
        if clean["id"] in lines:
            problems.append(FileProblem(path, where.key_line(i, "id"),
                                        f"duplicate topic id {clean['id']!r} (first at line {lines[clean['id']]})"))
            continue
        lines[clean["id"]] = where.key_line(i, "id")
        lines[clean["id"] + ".parent"] = where.key_line(i, "parent")
        clean["line"] = where.item_line(i)
        items.append(clean)
    paths = _paths(items, lines, path, problems)
    seen: dict[str, str] = {}
    topics = []
    for item in items:
        topic_path = paths.get(item["id"])
        if topic_path is None:
            continue
        folded = topic_path.casefold()
        if folded in seen:
            problems.append(FileProblem(path, lines[item["id"]], f"duplicate topic path {topic_path!r} "
                                        f"(topics {seen[folded]!r} and {item['id']!r})"))
            continue
        seen[folded] = item["id"]
        rules = TopicRules(mesh=item["mesh"], keywords=item["keywords"], patterns=item["patterns"],
                           require=item["require"], exclude=item["exclude"])
        topics.append(Topic(id=item["id"], name=item["name"], path=topic_path, parent=item["parent"],
                            description=item["description"], question=item["question"], rules=rules,
                            line=item["line"]))
    if problems:
        raise TaxonomyError(sorted(problems, key=lambda p: p.line))
    return Taxonomy(topics, Path(path))


def load_taxonomy(path: str | os.PathLike[str]) -> Taxonomy:
    file = Path(path)
    try:
        text = read_text(file)
    except EvidenceFileError as exc:
        raise TaxonomyError(exc.problems) from exc
    return parse_taxonomy(text, str(file))


def default_taxonomy_path() -> Path:
    """The file bundled at the repository root (beside the bundled ``references.bib``)."""
    return Path(__file__).resolve().parents[2] / TAXONOMY_FILE


def find_taxonomy(bib_path: str | os.PathLike[str] | None = None) -> Path | None:
    """Which file applies: ``$REFLIB_TAXONOMY``, else one beside the library, else the bundled one."""
    return find_beside(bib_path, TAXONOMY_FILE, "REFLIB_TAXONOMY")


def taxonomy_for(bib_path: str | os.PathLike[str] | None = None) -> Taxonomy:
    """The taxonomy that applies to a library (see :func:`find_taxonomy`), loaded and validated."""
    path = find_taxonomy(bib_path)
    if path is None:
        raise TaxonomyError([FileProblem(TAXONOMY_FILE, 0, "no taxonomy file beside the library, none bundled, "
                                         "and $REFLIB_TAXONOMY is not set")])
    return load_taxonomy(path)
