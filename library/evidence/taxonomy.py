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
    synonyms = ["sonohysterography"]     # abbreviations and other names, used by search, not by classification
    # the concept (inherited: a topic fires only where every ancestor's concept holds)
    anchors = ['\\bfallopian', 'tubal']  # the concept is present when one matches (or one of `mesh` is on the record)
    exclude = ['sterili[sz]ation']      # never this concept, nor any of its subtopics
    species = "human"                    # human (default): not for animal or in-vitro studies | any
    # the topic's own rules (see classify.py)
    mesh = ["Fallopian Tube Patency Tests"]
    keywords = ["sono-hsg"]
    patterns = ['\\bsono-?salpingogra']
    require = ['tub(al|e)|fallopian']
    unless = ['hysteroscop']             # not this topic (a sibling says it better); children may still fire

Errors (TOML syntax, duplicate ids or paths, unknown parents, cycles, bad regular expressions, unknown keys) are
all reported together, each with its line.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import LibraryError
from .literals import LiteralScan
from .patterns import Pattern
from .taxonomy_parse import SEPARATOR, check_items
from .tomlfile import EvidenceFileError, FileProblem, find_beside, parse_toml, read_text

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

TAXONOMY_FILE = "taxonomy.toml"


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
    anchors: tuple[Pattern, ...] = ()  # the concept: one must match (or a `mesh` heading be there); inherited
    exclude: tuple[Pattern, ...] = ()  # never this concept: none may match; inherited by every subtopic
    unless: tuple[Pattern, ...] = ()  # not this topic itself (a sibling says it better); not inherited

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
    species: str = ""  # as written: "human" | "any" | "" (inherited; see Taxonomy.species_of)
    synonyms: tuple[str, ...] = ()  # other names, for search
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
        self.lineage: dict[str, tuple[Topic, ...]] = {}
        """Topic id -> the topic's ancestors, root first, then the topic: whose concepts must all hold."""
        for topic in self._order:
            parent = self._by_id.get(topic.parent)
            self.lineage[topic.id] = (*(self.lineage[parent.id] if parent else ()), topic)

    @cached_property
    def scan(self) -> LiteralScan:
        """One automaton over the literals of every rule: which rules can match a record's text, in one pass."""
        literals: set[str] = set()
        for topic in self._order:
            rules = topic.rules
            for pattern in (*rules.patterns, *rules.require, *rules.anchors, *rules.exclude, *rules.unless):
                literals.update(pattern.needs or ())
        return LiteralScan(literals)

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

    def species_of(self, topic: Topic) -> str:
        """Whose studies a topic is for: its own ``species`` or the nearest ancestor's; ``human`` by default."""
        for item in reversed(self.lineage.get(topic.id, (topic,))):
            if item.species:
                return item.species
        return "human"

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
                    "synonyms": list(topic.synonyms),
                    "children": [node(c) for c in self._children.get(topic.id, [])]}
        return [node(t) for t in self.roots()]


def parse_taxonomy(text: str, path: str = TAXONOMY_FILE) -> Taxonomy:
    """Validate the text of a taxonomy file; raises :class:`TaxonomyError` listing every problem with its line.

    The same text (and path) gives the same Taxonomy object, parsed once (~12 ms): an import, a dashboard rerun
    and a classification each load the file again, and it rarely changes. A Taxonomy is read-only."""
    return _parse_taxonomy(text, path)


@functools.lru_cache(maxsize=8)
def _parse_taxonomy(text: str, path: str) -> Taxonomy:
    try:
        data = parse_toml(text, path)
    except EvidenceFileError as exc:
        raise TaxonomyError(exc.problems) from exc
    items, problems = check_items(data, text, path)
    if problems:
        raise TaxonomyError(sorted(problems, key=lambda p: p.line))
    topics = []
    for item in items:
        rules = TopicRules(mesh=item["mesh"], keywords=item["keywords"], patterns=item["patterns"],
                           require=item["require"], anchors=item["anchors"], exclude=item["exclude"],
                           unless=item["unless"])
        topics.append(Topic(id=item["id"], name=item["name"], path=item["path"], parent=item["parent"],
                            description=item["description"], question=item["question"], rules=rules,
                            species=item["species"], synonyms=item["synonyms"], line=item["line"]))
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
