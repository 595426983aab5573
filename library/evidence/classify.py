"""Automatic classification: topics from the taxonomy's rules, design, and evidence level.

Classification only ever writes ``topics_auto``, ``design_auto`` and ``level_auto``. The editor's ``topics``,
``design`` and ``level`` are never read by the topic or design rules (so the rules can be measured against
hand labels) and never written, so re-classifying cannot lose an editor's value. The level does read the
editor's design and topics: a corrected design or topic should change the derived level.

A topic's rules (in ``taxonomy.toml``) fire when any of its ``mesh`` headings is on the record, any keyword
matches one of its ``keywords`` globs, or any of its ``patterns`` occurs in the record's subject text (title,
abstract, keywords, MeSH headings); then every ``require`` pattern must occur and no ``exclude`` pattern may.
Only the most specific topics are kept: when both ``Diagnostics > Tubal patency`` and its child ``... > SIS vs
HSG`` fire, the child says more and the parent is implied by the path.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import Record
from .design import DesignGuess, detect_design, mesh_heading
from .level import derive_level
from .taxonomy import SEPARATOR, Taxonomy, Topic

__all__ = ["Classification", "classify", "classify_record", "match_topics", "most_specific", "subject_text"]


@dataclass(frozen=True, slots=True)
class Classification:
    """What the rules say about one record, with reasons an editor can check."""

    topics: list[str] = field(default_factory=list)
    design: DesignGuess = field(default_factory=lambda: DesignGuess(""))
    question: str = ""
    level: str = ""


def subject_text(record: Record) -> str:
    """The text topic patterns search: title, abstract, keywords and MeSH headings, one per line."""
    mesh = "; ".join(term.replace("*", "") for term in record.mesh)
    return "\n".join((record.title, record.abstract, "; ".join(record.keywords), mesh))


def _fires(topic: Topic, text: str, mesh: set[str], keywords: list[str]) -> bool:
    rules = topic.rules
    hit = (any(m.casefold() in mesh for m in rules.mesh)
           or any(fnmatch.fnmatchcase(k, g.casefold()) for g in rules.keywords for k in keywords)
           or any(p.search(text) for p in rules.patterns))
    return (hit and all(p.search(text) for p in rules.require)
            and not any(p.search(text) for p in rules.exclude))


def most_specific(paths: Iterable[str]) -> list[str]:
    """Drop every path that is an ancestor of another (order kept, duplicates removed)."""
    unique = list(dict.fromkeys(paths))
    folded = [p.casefold() for p in unique]
    return [p for p, f in zip(unique, folded, strict=True)
            if not any(other.startswith(f + SEPARATOR.casefold()) for other in folded)]


def match_topics(record: Record, taxonomy: Taxonomy) -> list[str]:
    """Topic paths whose rules fire for the record, most specific only, in taxonomy order."""
    text = subject_text(record).lower()  # rules are compiled for lower-cased text (see patterns.py)
    mesh = {mesh_heading(term) for term in record.mesh}
    keywords = [k.casefold() for k in record.keywords]
    return most_specific(t.path for t in taxonomy.with_rules if _fires(t, text, mesh, keywords))


def classify(record: Record, taxonomy: Taxonomy) -> Classification:
    """Rules' verdict for a record, without changing it (the dashboard shows this beside the editor's values)."""
    topics = match_topics(record, taxonomy)
    design = detect_design(record)
    # the question comes from the editor's topics when they give one, else from the automatic topics
    question = taxonomy.question_for(record.topics) or taxonomy.question_for(topics)
    level = derive_level(record.design or design.design, question) if question else ""
    return Classification(topics, design, question, level)


def classify_record(record: Record, taxonomy: Taxonomy) -> Record:
    """A copy of ``record`` with ``topics_auto``, ``design_auto`` and ``level_auto`` recomputed.

    Used on import (pass every new record through it before ``Library.add``) and by ``reflib classify``.
    Manual fields are left exactly as they are.
    """
    result = classify(record, taxonomy)
    out = record.copy()
    out.topics_auto = result.topics
    out.design_auto = result.design.design
    out.level_auto = result.level
    return out
