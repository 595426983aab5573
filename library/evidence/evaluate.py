"""Precision and recall of the classification rules against hand-checked labels.

Topics are scored two ways, because a hierarchy makes "wrong" a matter of degree:

* exact: the most specific paths must match (``... > SIS vs HSG`` for ``... > HyCoSy and HyFoSy`` is wrong);
* hierarchical (Kiritchenko et al. 2005): both sides are extended with their ancestors before counting, so
  tagging ``Diagnostics > Tubal patency`` where the label is ``... > Tubal patency > SIS vs HSG`` earns the two
  shared levels and misses the third, instead of scoring nothing.

Designs are one label per study: precision counts correct guesses among studies the rules classified (no rule
firing is an abstention, not an error), recall counts correct guesses among all labelled studies.

Against PubMed publication types (:func:`pubtype_designs`): NLM's indexers name a design for many records, and a
design that contradicts every one of them is a disagreement. A publication type names a family, so "Review"
agrees with a narrative or systematic review, a meta-analysis or a guideline, and "Observational Study" with
any observational design; a record with several such types agrees when the design fits one of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .classify import most_specific
from .taxonomy import SEPARATOR

__all__ = ["PUBTYPE_DESIGNS", "Score", "closure", "pubtype_designs", "score_designs", "score_topics"]

_OBSERVATIONAL = frozenset({"cohort", "case-control", "cross-sectional", "case-series", "diagnostic-accuracy"})
_TRIALS = frozenset({"rct", "non-randomized-trial"})
PUBTYPE_DESIGNS: dict[str, frozenset[str]] = {
    "randomized controlled trial": frozenset({"rct"}),
    "controlled clinical trial": _TRIALS,
    "clinical trial": _TRIALS,
    "clinical trial, phase i": _TRIALS,
    "clinical trial, phase ii": _TRIALS,
    "clinical trial, phase iii": _TRIALS,
    "clinical trial, phase iv": _TRIALS,
    "pragmatic clinical trial": _TRIALS,
    "equivalence trial": _TRIALS,
    "meta-analysis": frozenset({"meta-analysis"}),
    "network meta-analysis": frozenset({"meta-analysis"}),
    "systematic review": frozenset({"systematic-review", "meta-analysis"}),
    "scoping review": frozenset({"scoping-review"}),
    "review": frozenset({"narrative-review", "systematic-review", "scoping-review", "meta-analysis", "guideline"}),
    "practice guideline": frozenset({"guideline"}),
    "guideline": frozenset({"guideline"}),
    "consensus development conference": frozenset({"guideline"}),
    "consensus development conference, nih": frozenset({"guideline"}),
    "case reports": frozenset({"case-report", "case-series"}),
    "editorial": frozenset({"editorial"}),
    "comment": frozenset({"editorial"}),
    "letter": frozenset({"editorial"}),
    "observational study": _OBSERVATIONAL,
    "clinical trial protocol": frozenset({"protocol"}),
    "randomized controlled trial, veterinary": frozenset({"preclinical"}),
    "clinical trial, veterinary": frozenset({"preclinical"}),
    "observational study, veterinary": frozenset({"preclinical"}),
}
"""PubMed publication type (casefolded) -> the designs that agree with it."""


def pubtype_designs(pubtypes: Sequence[str]) -> frozenset[str]:
    """Designs that agree with any of the record's design-naming publication types (empty: none names one)."""
    out: frozenset[str] = frozenset()
    for pubtype in pubtypes:
        out |= PUBTYPE_DESIGNS.get(pubtype.strip().casefold(), frozenset())
    return out


@dataclass(frozen=True, slots=True)
class Score:
    true_positive: int
    predicted: int  # labels the rules gave (design: studies they classified)
    expected: int  # labels in the hand-checked set
    misses: list[str] = field(default_factory=list)  # "key: what went wrong", for tuning the rules

    @property
    def precision(self) -> float:
        return self.true_positive / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def closure(paths: Sequence[str]) -> set[str]:
    """Every path with all its ancestors, casefolded ('A > B' -> {'a', 'a > b'})."""
    out: set[str] = set()
    for path in paths:
        parts = [p.strip() for p in path.split(">")]
        out.update(SEPARATOR.join(parts[:i]).casefold() for i in range(1, len(parts) + 1))
    return out


def score_topics(predicted: Mapping[str, Sequence[str]], expected: Mapping[str, Sequence[str]],
                 hierarchical: bool = False) -> Score:
    """Micro-averaged scores over (study, topic) pairs of the studies in ``expected``."""
    tp = n_pred = n_exp = 0
    misses = []
    for key, gold in expected.items():
        guess = predicted.get(key, [])
        if hierarchical:
            got, want = closure(guess), closure(gold)
        else:
            got = {p.casefold() for p in most_specific(guess)}
            want = {p.casefold() for p in most_specific(gold)}
        tp += len(got & want)
        n_pred += len(got)
        n_exp += len(want)
        extra, missing = sorted(got - want), sorted(want - got)
        if extra or missing:
            misses.append(f"{key}: " + "; ".join([f"+{p}" for p in extra] + [f"-{p}" for p in missing]))
    return Score(tp, n_pred, n_exp, misses)


def score_designs(predicted: Mapping[str, str], expected: Mapping[str, str], design: str | None = None) -> Score:
    """Scores of the design rules; with ``design``, for that one design (one-vs-rest)."""
    tp = n_pred = n_exp = 0
    misses = []
    for key, gold in expected.items():
        guess = predicted.get(key, "")
        if design is not None:
            hit_pred, hit_gold = guess == design, gold == design
            tp += hit_pred and hit_gold
            n_pred += hit_pred
            n_exp += hit_gold
            continue
        n_exp += 1
        if guess:
            n_pred += 1
            tp += guess == gold
        if guess != gold:
            misses.append(f"{key}: {guess or '(none)'} instead of {gold}")
    return Score(int(tp), int(n_pred), int(n_exp), misses)
