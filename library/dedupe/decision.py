"""The one answer to "are these two records the same publication?", for any caller.

Import (against the library and within the incoming batch), ``reflib dedupe``, the dashboard, ``reflib enrich``
and the screening inbox all decide with the same rules (:mod:`library.dedupe.rules` on the field relations of
:mod:`library.dedupe.scoring`). The batch functions (:func:`~library.dedupe.find.find_duplicates`,
:func:`~library.dedupe.find.match_batch`) apply them to many pairs at once; :func:`same_publication` applies
them to one pair::

    from library.dedupe import same_publication
    decision = same_publication(record_a, record_b)
    decision.verdict   # "same" | "review" | "different"
    decision.reasons   # why, in words a user can check ("same DOI", "different issues", ...)
    decision.related   # "erratum-of", "version-of", ... when one is a notice or another version of the other

Verdicts:

* ``same`` — sure: the records may be merged without asking. An identifier (DOI, PMID, PMCID) is sure only when
  the titles and the authors agree too; a title+year+author match only when no locator (journal, volume, issue,
  first page) disagrees and the title is not generic.
* ``review`` — maybe: an editor decides (a shared identifier with another title is reported as "likely a wrong
  identifier"; one locator that disagrees; a conference abstract and a paper ...). Never merged automatically.
* ``different`` — not the same publication: either nothing alike, or a veto (different identifiers, an
  erratum and its paper, Part 1 and Part 2, "Tagged" / "Untagged", a conference paper and its journal version,
  another issue and pages ...). ``related`` then names the relation when there is one (``a`` is the
  ``related`` of ``b`` when ``related_from`` is 0, else ``b`` is that of ``a``).

Records need no keys. Pure: nothing is read or written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Record
from .pair_relation import relation
from .rules import decide
from .scoring import compare, prefilter
from .table import build_table

__all__ = ["DIFFERENT", "REVIEW", "SAME", "VERDICTS", "Decision", "same_publication"]

SAME, REVIEW, DIFFERENT = "same", "review", "different"
VERDICTS = {"auto": SAME, "review": REVIEW, "veto": DIFFERENT}


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer for one pair: verdict, the reasons behind it, and a related-record link when found."""

    verdict: str  # same | review | different
    reasons: tuple[str, ...] = ()
    score: float = 0.0  # 0..1, for sorting and display only; the verdict comes from the field relations
    tier: str = ""  # identifier | fuzzy ('' when the records are not alike at all)
    related: str = ""  # erratum-of, reply-to, version-of, abstract-of ...: the pair is related, not one item
    related_from: int = 0  # which record is the source of ``related`` (0: the first, 1: the second)

    @property
    def same(self) -> bool:
        return self.verdict == SAME

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"verdict": self.verdict, "reasons": list(self.reasons), "score": self.score}
        if self.related:
            data["related"] = {"kind": self.related, "from": self.related_from}
        return data


def same_publication(a: Record, b: Record) -> Decision:
    """Are ``a`` and ``b`` the same publication? See the module docstring for the verdicts."""
    table = build_table([a, b])
    pairs = np.array([[0, 1]], dtype=np.int64)
    kept, sims = prefilter(table, pairs)
    similarity = float(sims[0]) if len(kept) else 0.0
    features = compare(table, 0, 1, similarity)
    verdict = decide(features)
    if verdict is None:
        return Decision(DIFFERENT, ("nothing alike enough: titles, identifiers and locators differ",))
    found = None
    if verdict.decision != "auto":
        place = [(table.page[n], table.last_page[n]) if table.numbered[n] else ("", "") for n in (0, 1)]
        found = relation(features, verdict.decision, (bool(table.abstract[0]), bool(table.abstract[1])),
                         (place[0], place[1]), (int(table.year[0]), int(table.year[1])))
    reasons = verdict.reasons if found is None else (*found[2], *verdict.reasons)
    return Decision(VERDICTS[verdict.decision], tuple(reasons), verdict.score, verdict.tier,
                    found[0] if found else "", found[1] if found else 0)
