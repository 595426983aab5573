"""Automatic classification: topics from the taxonomy's rules, design, evidence level — each with its reason.

Classification only ever writes ``topics_auto``, ``topics_suggested``, ``design_auto``, ``level_auto`` and
``reasons_auto``. The editor's ``topics``, ``design`` and ``level`` are never read by the topic or design rules
(so the rules can be measured against hand labels) and never written, so re-classifying cannot lose an editor's
value. The level does read the editor's design and topics: a corrected design or topic should change the derived
level. Topics an editor rejected (``topics_rejected``) and their subtopics are never assigned nor suggested.

How a topic fires is in :mod:`.topic_match`: the concept of every topic on its path must be present (anchors,
exclusions, species), then its own rules must find evidence. Confident fires become facts (``topics_auto``),
the others suggestions (``topics_suggested``) that an editor accepts (they become manual topics) or rejects.
Only the most specific topics are kept: when both ``Diagnostics > Tubal patency`` and its child ``... > SIS vs
HSG`` fire, the child says more and the parent is implied by the path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import Record
from .design import DesignGuess, detect_design
from .level import derive_level, level_reason
from .reasons import reason_item
from .species import Species, detect_species
from .taxonomy import SEPARATOR, Taxonomy
from .topic_match import Cache, TopicVerdict, evaluate_topic, record_text

__all__ = ["Classification", "classify", "classify_record", "explain", "match_topics", "most_specific",
           "subject_text"]


@dataclass(frozen=True, slots=True)
class Classification:
    """What the rules say about one record, with reasons an editor can check."""

    topics: list[str] = field(default_factory=list)
    design: DesignGuess = field(default_factory=lambda: DesignGuess(""))
    question: str = ""
    level: str = ""
    suggested: list[str] = field(default_factory=list)
    topic_reasons: dict[str, str] = field(default_factory=dict)  # path -> evidence, for topics and suggestions
    species: Species = field(default_factory=lambda: Species(""))
    level_reason: str = ""

    def reason_items(self) -> list[str]:
        """The ``reasons_auto`` items of this result (see :mod:`.reasons`)."""
        items = [reason_item("species", self.species.kind, self.species.reason)] if self.species.kind else []
        items += [reason_item("topic", p, self.topic_reasons[p]) for p in self.topics]
        items += [reason_item("suggested", p, self.topic_reasons[p]) for p in self.suggested]
        if self.design.design:
            items.append(reason_item("design", self.design.design, self.design.reason))
        if self.level_reason:
            items.append(reason_item("level", self.level or "none", self.level_reason))
        return items


def subject_text(record: Record) -> str:
    """The text topic patterns search: title, keywords, MeSH headings and abstract, lower-cased."""
    return record_text(record, Species("")).text


def most_specific(paths: Iterable[str]) -> list[str]:
    """Drop every path that is an ancestor of another (order kept, duplicates removed)."""
    unique = list(dict.fromkeys(paths))
    folded = [p.casefold() for p in unique]
    return [p for p, f in zip(unique, folded, strict=True)
            if not any(other.startswith(f + SEPARATOR.casefold()) for other in folded)]


def _under(path: str, roots: Iterable[str]) -> bool:
    folded = path.casefold()
    return any(folded == r or folded.startswith(r + SEPARATOR.casefold()) for r in roots)


def verdicts(record: Record, taxonomy: Taxonomy, species: Species | None = None,
             explain: bool = False) -> list[TopicVerdict]:
    """Every rule-bearing topic's verdict, in taxonomy order (topics without evidence have status 'none')."""
    rt = record_text(record, species if species is not None else detect_species(record), taxonomy.scan)
    cache: Cache = {}
    return [evaluate_topic(t, taxonomy, rt, cache, explain) for t in taxonomy.with_rules]


def _topics(record: Record, found: list[TopicVerdict]) -> tuple[list[str], list[str], dict[str, str]]:
    rejected = [t.casefold() for t in record.topics_rejected]
    fired = [v for v in found if v.status == "fired" and not _under(v.topic.path, rejected)]
    topics = most_specific(v.topic.path for v in fired if v.confident)
    taken = [p.casefold() for p in (*record.topics, *topics)]
    weak = [v.topic.path for v in fired if not v.confident
            and not any(t == v.topic.path.casefold() or t.startswith(v.topic.path.casefold() + SEPARATOR.casefold())
                        for t in taken)]
    reasons = {v.topic.path: v.reason() for v in fired}
    return topics, most_specific(weak), reasons


def match_topics(record: Record, taxonomy: Taxonomy) -> list[str]:
    """Automatic (confident) topic paths for the record, most specific only, in taxonomy order."""
    return _topics(record, verdicts(record, taxonomy))[0]


def classify(record: Record, taxonomy: Taxonomy) -> Classification:
    """Rules' verdict for a record, without changing it (the dashboard shows this beside the editor's values)."""
    species = detect_species(record)
    topics, suggested, reasons = _topics(record, verdicts(record, taxonomy, species))
    design = detect_design(record, species)
    # the question comes from the editor's topics when they give one, else from the automatic topics
    question = taxonomy.question_for(record.topics) or taxonomy.question_for(topics)
    effective = record.design or design.design
    if species.non_human:
        level, why = "", f"no OCEBM level: {species.kind} study, not human clinical evidence"
    else:
        level = derive_level(effective, question) if question else ""
        source = next((t for t in (*record.topics, *topics) if taxonomy.question_of(t) == question), "")
        why = level_reason(effective, question, level, "editor's design" if record.design else "", source)
    return Classification(topics, design, question, level, suggested, reasons, species, why)


def classify_record(record: Record, taxonomy: Taxonomy) -> Record:
    """A copy of ``record`` with its automatic fields recomputed (topics, suggestions, design, level, reasons).

    Used on import (pass every new record through it before ``Library.add``) and by ``reflib classify``.
    Manual fields (``topics``, ``topics_rejected``, ``design``, ``level``) are left exactly as they are.
    """
    result = classify(record, taxonomy)
    out = record.copy()
    out.topics_auto = result.topics
    out.topics_suggested = result.suggested
    out.design_auto = result.design.design
    out.level_auto = result.level
    out.reasons_auto = result.reason_items()
    return out


def explain(record: Record, taxonomy: Taxonomy) -> list[str]:
    """Lines saying why each value is what it is, and why topics whose terms occur did not fire."""
    species = detect_species(record)
    result = classify(record, taxonomy)
    found = verdicts(record, taxonomy, species, explain=True)  # every piece of evidence, not only the first
    full = {v.topic.path: v.reason() for v in found if v.status == "fired"}
    lines = [f"species: {species.kind or 'not stated (treated as human)'}" + (f" - {species.reason}"
                                                                                 if species.reason else "")]
    lines += [f"topic {p}: {full.get(p, result.topic_reasons[p])}" for p in result.topics]
    lines += [f"suggested {p}: {full.get(p, result.topic_reasons[p])}" for p in result.suggested]
    rejected = [t.casefold() for t in record.topics_rejected]
    for verdict in found:
        path = verdict.topic.path
        if verdict.status == "blocked":
            lines.append(f"not {path}: found {verdict.evidence_text()}; but " + "; ".join(verdict.blocked_by))
        elif verdict.status == "fired" and _under(path, rejected):
            lines.append(f"not {path}: rejected by an editor (topics_rejected)")
        elif verdict.status == "fired" and path not in result.topics and path not in result.suggested:
            lines.append(f"implied {path}: {verdict.reason()} (a subtopic or a manual topic says more)")
    design = result.design
    lines.append(f"design {design.design or '(none)'}: {design.reason or 'no rule fired'}")
    lines.append(f"level {result.level or '(none)'}: {result.level_reason or 'no question type: no topic has one'}")
    return lines
