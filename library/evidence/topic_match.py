"""Topic rules applied to one record, with the evidence for every verdict (what fired, what blocked it).

A topic of ``taxonomy.toml`` fires for a record when

1. every topic on its path states a concept the record has: no ``exclude`` term of any of them occurs, each of
   them that has ``anchors`` finds one (or one of its ``mesh`` headings is on the record), and the record is a
   human study unless the topic's ``species`` is ``any`` (:mod:`.species`); so "Laparoscopy with
   chromopertubation" never fires for a liver resection, which says nothing of tubes or fertility;
2. one of its ``mesh`` headings is on the record, a keyword matches one of its ``keywords`` globs, or one of its
   ``patterns`` occurs in the title, keywords, MeSH headings or abstract;
3. every ``require`` pattern occurs and no ``unless`` pattern does.

How sure the verdict is decides whether it becomes a fact (``topics_auto``) or a suggestion for an editor
(``topics_suggested``). Where the evidence was found is weighed (:data:`WEIGHTS`): the title, a MeSH heading NLM
marked as a major topic, and a match of the topic's ``keywords`` rule say what a record is about (2 each); an
author keyword, a minor MeSH heading and each of up to two mentions in the abstract are passing evidence (1 each);
an ancestor's concept found in other words adds 1 ("ovarian dose" in an abstract that also says
"hysterosalpingography" is a radiation-dose study of HSG). A fire is confident with a weight-2 piece, or a total
of 2 unless NLM indexed the record with MeSH headings of which none is one the topic's path lists (the indexers
read the whole paper and did not think so). Anything less is a suggestion.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from ..model import Record
from .design import mesh_heading
from .literals import LiteralScan, Needs
from .patterns import Pattern
from .species import Species
from .taxonomy import Taxonomy, Topic

__all__ = ["WEIGHTS", "Cache", "RecordText", "TopicVerdict", "evaluate_topic", "record_text"]

_SNIPPET = 50


# how much each place a term is found in says about what a record is about: a fact needs 2
WEIGHTS = {"title": 2, "major MeSH": 2, "keyword rule": 2, "keywords": 1, "MeSH": 1, "abstract": 1}
MAX_ABSTRACT = 6_000  # characters searched: nearly every real abstract is shorter; a pasted full text stays fast
_SECTIONS = ("title", "keywords", "major MeSH", "MeSH", "abstract")


@dataclass(frozen=True, slots=True)
class RecordText:
    """The lower-cased subject text of a record and where each section of it ends (see :data:`_SECTIONS`)."""

    text: str
    ends: tuple[int, ...]
    mesh: frozenset[str]  # every descriptor, casefolded
    major: frozenset[str]  # descriptors marked as a major topic ('*'); all of them when none is marked
    keywords: tuple[str, ...]
    species: Species
    present: frozenset[str] | None = None  # the scanned literals that occur in ``text`` (None: not scanned)
    scanned: frozenset[str] = frozenset()  # every literal the scan looked for

    def search(self, pattern: Pattern, start: int = 0) -> re.Match[str] | None:
        """``pattern.search`` of the text (from ``start``: positions are then relative to it); rules that cannot
        match, because none of their literals occurs in the text, are not tried (see :mod:`.literals`)."""
        present = self.present
        if present is not None and pattern.needs is not None and not pattern.needs <= self.scanned:
            present = None  # a rule the scan did not look for (not the taxonomy's): search as usual
        return pattern.find(self.text[start:] if start else self.text, present)

    def none_can_match(self, patterns: tuple[Pattern, ...]) -> bool:
        """True when the scan shows that none of ``patterns`` can match (one test instead of one per rule)."""
        if self.present is None or not patterns:
            return False
        needs = _group_needs(patterns)
        return needs is not None and needs <= self.scanned and needs.isdisjoint(self.present)

    def where(self, position: int) -> str:
        for name, end in zip(_SECTIONS, self.ends, strict=True):
            if position < end:
                return name
        return "abstract"


_GROUPS: dict[tuple[Pattern, ...], Needs] = {}  # a topic's anchors, exclusions ...: the literals of all of them


def _group_needs(patterns: tuple[Pattern, ...]) -> Needs:
    """The literals of every pattern of a group; None when one of them has none (it must always be searched)."""
    try:
        return _GROUPS[patterns]
    except KeyError:
        needs: Needs = None
        if all(p.needs is not None for p in patterns):
            needs = frozenset().union(*(p.needs for p in patterns if p.needs is not None))
        if len(_GROUPS) < 10_000:  # bounded: taxonomies are loaded again and again in one long-lived process
            _GROUPS[patterns] = needs
        return needs


def record_text(record: Record, species: Species, scan: LiteralScan | None = None) -> RecordText:
    """Title, keywords, major MeSH, other MeSH, then the abstract: a match's position says where it was. With
    ``scan`` (the taxonomy's), which of the rules' literals occur is found once, for :meth:`RecordText.search`."""
    marked = any("*" in term for term in record.mesh)
    major = [t for t in record.mesh if "*" in t or not marked]
    minor = [t for t in record.mesh if marked and "*" not in t]
    parts = (record.title, "; ".join(record.keywords), "; ".join(major).replace("*", ""),
             "; ".join(minor), record.abstract[:MAX_ABSTRACT])
    ends, total = [], 0
    for part in parts:
        total += len(part) + 1
        ends.append(total)
    text = "\n".join(parts).lower()
    return RecordText(text, tuple(ends), frozenset(mesh_heading(t) for t in record.mesh),
                      frozenset(mesh_heading(t) for t in major), tuple(k.casefold() for k in record.keywords),
                      species, *((scan.present(text), scan.literals) if scan is not None else ()))


def _clean(snippet: str) -> str:
    return " ".join(snippet.replace(";", ",").split())[:_SNIPPET]


@dataclass(slots=True)
class TopicVerdict:
    """What the rules say about one topic: ``status`` is fired | blocked | none; evidence and blockers as text."""

    topic: Topic
    status: str = "none"
    confident: bool = False
    score: int = 0
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (where, what): formatted only when shown
    blocked_by: list[str] = field(default_factory=list)

    def evidence_text(self) -> str:
        return ", ".join(f"{where} {_clean(what)!r}" for where, what in self.evidence)

    def reason(self) -> str:
        text = self.evidence_text()
        return text if self.confident else f"{text} (weak evidence: a suggestion)"


Cache = dict[str, tuple[str, "tuple[int, int] | None"]]


def _first(patterns: tuple[Pattern, ...], rt: RecordText) -> tuple[Pattern, re.Match[str]] | None:
    if rt.none_can_match(patterns):
        return None
    for pattern in patterns:
        match = rt.search(pattern)
        if match is not None:
            return pattern, match
    return None


_MESH_SPAN = (-1, -1)


def _concept_of(item: Topic, rt: RecordText) -> tuple[str, tuple[int, int] | None]:
    """One topic's own concept: (why it is absent or '', where its anchor was found: a span, MeSH, or None)."""
    rules = item.rules
    where: tuple[int, int] | None = None
    if rules.anchors:  # anchors first: most records lack them, and then the exclusions need no search
        if any(m.casefold() in rt.mesh for m in rules.mesh):
            where = _MESH_SPAN
        else:
            anchor = _first(rules.anchors, rt)
            if anchor is None:
                return f"{item.name}: none of its concept terms (anchors) occurs", None
            where = anchor[1].span()
    excluded = _first(rules.exclude, rt)
    if excluded:
        return f"{item.name}: excluded by {_clean(excluded[1].group(0))!r} ({excluded[0].pattern})", None
    return "", where


def _concept(topic: Topic, taxonomy: Taxonomy, rt: RecordText, cache: Cache) -> tuple[str, list[tuple[int, int]]]:
    """('' or why the record lacks a concept on ``topic``'s path, where the ancestors' concepts were found)."""
    support: list[tuple[int, int]] = []
    for item in taxonomy.lineage[topic.id]:
        known = cache.get(item.id)
        if known is None:
            known = cache[item.id] = _concept_of(item, rt)
        if known[0]:
            return known[0], support
        if known[1] is not None and item is not topic:
            support.append(known[1])
    if rt.species.non_human and taxonomy.species_of(topic) == "human":
        return f"{rt.species.kind} study, not human clinical evidence ({rt.species.reason})", support
    return "", support


def _hits(topic: Topic, rt: RecordText,
          complete: bool) -> tuple[list[tuple[str, str]], dict[str, int], list[tuple[int, int]]]:
    """Evidence for the topic's own rules: (texts, sections found in with their counts, where patterns matched).
    Unless ``complete``, the search stops at the first piece that alone makes the topic a fact."""
    rules = topic.rules
    evidence: list[tuple[str, str]] = []
    found: dict[str, int] = {}
    own: list[tuple[int, int]] = []  # every place a pattern matched first
    strong = False
    for heading in rules.mesh:
        folded = heading.casefold()
        if folded in rt.mesh:
            where = "major MeSH" if folded in rt.major else "MeSH"
            evidence.append((where, heading))
            found[where] = 1
            strong = strong or where == "major MeSH"
    for glob in rules.keywords:
        keyword = next((k for k in rt.keywords if fnmatch.fnmatchcase(k, glob.casefold())), None)
        if keyword is not None:
            evidence.append(("keyword", keyword))
            found["keyword rule"] = 1
            strong = True
    first: tuple[Pattern, re.Match[str]] | None = None  # the first mention in the abstract
    for pattern in () if rt.none_can_match(rules.patterns) else rules.patterns:
        if strong and not complete:
            break
        match = rt.search(pattern)
        if match is None:
            continue
        where = rt.where(match.start())
        evidence.append((where, match.group(0)))
        own.append(match.span())
        if where == "abstract":
            found["abstract"] = found.get("abstract", 0) + 1
            first = first or (pattern, match)
        else:
            found[where] = 1
            strong = strong or WEIGHTS[where] >= 2
    if found.get("abstract") == 1 and first is not None and (complete or not strong):
        pattern, match = first  # one pattern in the abstract: does it occur a second time?
        again = rt.search(pattern, match.end())
        if again is not None:
            found["abstract"] = 2
    elif found.get("abstract", 0) > 2:
        found["abstract"] = 2
    return evidence, found, own


def _score(found: dict[str, int], spans: list[tuple[int, int]], support: list[tuple[int, int]]) -> int:
    """Weighted evidence (:data:`WEIGHTS`), plus one when an ancestor's concept was found in other words."""
    score = sum(WEIGHTS[where] * count for where, count in found.items())
    if any(s == _MESH_SPAN or not any(a < s[1] and s[0] < b for a, b in spans) for s in support):
        score += 1
    return score


def _indexed_elsewhere(topic: Topic, taxonomy: Taxonomy, rt: RecordText) -> bool:
    """The record has MeSH, the topic's path names headings, and none of them is on the record."""
    if not rt.mesh:
        return False
    headings = [h.casefold() for item in taxonomy.lineage[topic.id] for h in item.rules.mesh]
    return bool(headings) and not any(h in rt.mesh for h in headings)


def evaluate_topic(topic: Topic, taxonomy: Taxonomy, rt: RecordText, cache: Cache,
                   explain: bool = False) -> TopicVerdict:
    """The verdict for one topic. Without ``explain`` it stops at the first reason not to fire."""
    verdict = TopicVerdict(topic)
    if not explain:  # the concept first: a record without it needs none of the topic's own searches
        concept, support = _concept(topic, taxonomy, rt, cache)
        if concept:
            return verdict
    evidence, found, spans = _hits(topic, rt, explain)
    if not evidence:
        return verdict
    verdict.evidence = evidence
    rules = topic.rules
    blocked = verdict.blocked_by
    if explain:
        concept, support = _concept(topic, taxonomy, rt, cache)
    if concept:
        blocked.append(f"concept absent: {concept}")
    if not blocked or explain:
        missing = [p.pattern for p in rules.require if rt.search(p) is None]
        if missing:
            blocked.append("required term absent: " + ", ".join(missing))
        unless = _first(rules.unless, rt)
        if unless:
            blocked.append(f"unless {_clean(unless[1].group(0))!r} ({unless[0].pattern})")
    if blocked:
        verdict.status = "blocked"
        return verdict
    verdict.status = "fired"
    verdict.score = _score(found, spans, support)
    strong = any(WEIGHTS[where] >= 2 for where in found)
    verdict.confident = strong or (verdict.score >= 2 and not _indexed_elsewhere(topic, taxonomy, rt))
    return verdict
