"""Evidence levels: the Oxford CEBM 2011 scheme, derived from study design and the clinical question.

A level is stored as ``SCHEME QUESTION LEVEL``, e.g. ``OCEBM2011 therapy 2``, so the scheme and the question it
answers stay visible next to the number (a level 2 for diagnosis and a level 2 for therapy are different claims).
``level_auto`` is derived here from the effective design (the editor's ``design`` when set, else ``design_auto``)
and the question type of the record's topics (see ``question`` in ``taxonomy.toml``: diagnostic topics answer
``diagnosis``, oil- vs water-based contrast answers ``therapy``, radiation dose answers ``harm``). An editor's
``level`` always overrides it, and is the way to record a level graded up or down for study quality, which
OCEBM allows and rules cannot judge.

Mapping (OCEBM 2011 Levels of Evidence table; '-' = no level derived):

======================= ======== ========= ========= ==== =========
design                  therapy  diagnosis prognosis harm screening
======================= ======== ========= ========= ==== =========
systematic-review       1        1         1         1    1
meta-analysis           1        1         1         1    1
rct                     2        2         3         2    2
non-randomized-trial    3        3         3         3    3
cohort                  3        3         3         3    3
case-control            4        4         4         4    4
cross-sectional         4        2         4         4    4
diagnostic-accuracy     -        2         -         -    4
case-series             4        4         4         4    4
case-report             4        4         4         4    4
narrative-review        5        5         -         5    5
editorial               5        5         -         5    5
scoping-review,         -        -         -         -    -
guideline, protocol,
preclinical, other
======================= ======== ========= ========= ==== =========

Assumptions an editor should know when reading an automatic level:

* A systematic review or meta-analysis gets level 1 on the assumption that it pools the designs OCEBM requires
  for level 1 (randomized trials for therapy, harm and screening; cross-sectional accuracy studies with a
  consistent reference standard for diagnosis; inception cohorts for prognosis). A review of case series is
  really level 4: set ``level`` by hand.
* Diagnostic accuracy and cross-sectional studies get level 2 for diagnosis, which OCEBM reserves for studies
  with a consistently applied reference standard and blinding; level 3 otherwise.
* For prognosis a cohort is level 3 (level 2 needs an inception cohort) and a randomized trial level 3 (its
  control arm); level 5 (mechanism-based reasoning) does not exist for prognosis.
* Narrative reviews and editorials are level 5: expert opinion and mechanism-based reasoning.
* A scoping review maps what has been studied without appraising or pooling the results, so it is not graded
  (it used to be classed a systematic review, which the table puts at level 1).
* Guidelines, protocols and other designs are not graded: a guideline's strength comes from the evidence it
  cites, and a protocol has no results. Animal and in-vitro studies (``preclinical``) are not human clinical
  evidence and get no level.
* The table is also the ceiling for an editor's level: a level above it (a smaller number) needs a stated
  reason, ``level_reason`` (OCEBM allows grading up, e.g. for a dramatic effect); ``reflib check`` reports
  levels above the ceiling without one (:func:`level_problem`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LEVEL_TABLE", "QUESTIONS", "SCHEME", "Level", "derive_level", "format_level", "level_problem",
           "level_reason", "parse_level"]

SCHEME = "OCEBM2011"
QUESTIONS = ("therapy", "diagnosis", "prognosis", "harm", "screening")

_ROWS: dict[str, tuple[int | None, int | None, int | None, int | None, int | None]] = {
    # design:               therapy diagnosis prognosis harm screening
    "systematic-review": (1, 1, 1, 1, 1),
    "meta-analysis": (1, 1, 1, 1, 1),
    "rct": (2, 2, 3, 2, 2),
    "non-randomized-trial": (3, 3, 3, 3, 3),
    "cohort": (3, 3, 3, 3, 3),
    "case-control": (4, 4, 4, 4, 4),
    "cross-sectional": (4, 2, 4, 4, 4),
    "diagnostic-accuracy": (None, 2, None, None, 4),
    "case-series": (4, 4, 4, 4, 4),
    "case-report": (4, 4, 4, 4, 4),
    "narrative-review": (5, 5, None, 5, 5),
    "editorial": (5, 5, None, 5, 5),
}
LEVEL_TABLE: dict[tuple[str, str], int] = {
    (design, question): level
    for design, levels in _ROWS.items()
    for question, level in zip(QUESTIONS, levels, strict=True)
    if level is not None
}
"""(design, question) -> OCEBM 2011 level; pairs not in the table get no automatic level."""

_LEVEL = re.compile(r"^\s*(?P<scheme>[A-Za-z][\w.-]*)\s+(?P<question>[a-z]+)\s+(?P<level>[1-5])\s*$")


@dataclass(frozen=True, slots=True)
class Level:
    scheme: str
    question: str
    level: int

    def __str__(self) -> str:
        return f"{self.scheme} {self.question} {self.level}"

    def label(self) -> str:
        """Human wording, e.g. 'Level 2 (therapy, OCEBM 2011)'."""
        scheme = "OCEBM 2011" if self.scheme == SCHEME else self.scheme
        return f"Level {self.level} ({self.question}, {scheme})"


def parse_level(text: str) -> Level:
    """'OCEBM2011 therapy 2' -> Level; raises ValueError naming the expected form."""
    match = _LEVEL.match(text or "")
    if not match or (match["scheme"] == SCHEME and match["question"] not in QUESTIONS):
        raise ValueError(f"evidence level {text!r} must look like '{SCHEME} <question> <1-5>' with question one of "
                         f"{', '.join(QUESTIONS)}")
    return Level(match["scheme"], match["question"], int(match["level"]))


def format_level(question: str, level: int, scheme: str = SCHEME) -> str:
    return str(Level(scheme, question, level))


def derive_level(design: str, question: str) -> str:
    """The automatic level for a design answering a question ('' when OCEBM 2011 gives none)."""
    level = LEVEL_TABLE.get((design, question))
    return format_level(question, level) if level is not None else ""


def level_reason(design: str, question: str, level: str, design_source: str = "", topic: str = "") -> str:
    """Why a derived level is what it is, in words ('' when there is no question to answer)."""
    if not question:
        return ""
    asked = f"a {question} question" + (f" (topic {topic})" if topic else "")
    if not design:
        return f"no study design known: no level for {asked}"
    named = design + (f" ({design_source})" if design_source else "")
    if not level:
        return f"OCEBM 2011 gives {named} no level for {asked}"
    return f"{named} answering {asked}: OCEBM 2011 level {parse_level(level).level}"


def level_problem(design: str, level: str, reason: str = "") -> str:
    """'' when ``level`` is one the design allows (or a stated ``reason`` explains it), else what is wrong.

    OCEBM 2011 lets an assessor grade a study up (large effect) or down (bias, imprecision); the table gives the
    starting point. Down needs no reason, up does: a case series is at most level 4 unless someone says why.
    Animal and in-vitro (``preclinical``) studies have no OCEBM level at all.
    """
    try:
        parsed = parse_level(level)
    except ValueError:
        return ""  # reported as an invalid value elsewhere
    if parsed.scheme != SCHEME or reason.strip():
        return ""
    if design == "preclinical":
        return (f"{parsed.label()} given to a preclinical (animal or in-vitro) study, which has no OCEBM level; "
                "clear it or state why (level_reason)")
    allowed = LEVEL_TABLE.get((design, parsed.question))
    if allowed is not None and parsed.level < allowed:
        return (f"{parsed.label()} is above what a {design} study allows for a {parsed.question} question "
                f"(level {allowed}); lower it or state why (level_reason)")
    return ""
