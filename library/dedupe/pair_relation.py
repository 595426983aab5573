"""The relation of one compared pair: is it an erratum, reply, protocol, meeting abstract or earlier version of
the other record (see :mod:`library.dedupe.notices` for the kinds and the evidence)?

It reads the pair's :class:`~library.dedupe.scoring.Features`, so it sits above the scorer; the notice and abstract
tests it uses (:mod:`~library.dedupe.notices`) sit below the key table, which is why the two are apart.
"""

from __future__ import annotations

from .notices import KIND_RELATIONS, page_span
from .scoring import Features

__all__ = ["NOTICE_YEARS", "PROTOCOL_YEARS", "VERSION_YEARS", "relation"]

# When both records are notices (an erratum of a letter, a reply to a comment), the stronger one is the source.
_PRECEDENCE = {"retraction": 0, "concern": 1, "erratum": 2, "reply": 3, "comment": 4, "protocol": 5, "": 6}
_VERSION_ORDER = ("report", "conference", "journal")  # the earlier version is the source: report -> paper -> article
_VERSIONED = frozenset(_VERSION_ORDER)
VERSION_YEARS = 4  # a journal version follows its conference paper within a few years
NOTICE_YEARS = 2  # an erratum, comment or reply appears within this many years of the paper
PROTOCOL_YEARS = 10  # a protocol may precede the results by many years


def relation(f: Features, decision: str, abstract: tuple[bool, bool], pages: tuple[tuple[str, str], tuple[str, str]],
             years: tuple[int, int]) -> tuple[str, int, tuple[str, ...]] | None:
    """(kind, side of the source (0 = first record), reasons) when the pair is related but not one item.

    ``pages`` are (first, last) page digits, empty where a record's pages are not page numbers ("a1754" is
    an article number: it tells nothing about where in the volume the item is). ``decision`` is the rules'
    verdict on the pair: notices are related only when vetoed (otherwise the rules
    found them to be one item, e.g. an erratum listed at the paper's own volume and page), abstracts only when
    sent to review or vetoed (an auto pair is one item; a pair without a verdict is not similar enough to claim);
    a conference paper and a journal article of the same work are ``version-of`` links.
    """
    if f.title_missing or not (f.title >= 0.9 or f.title_contained):
        return None
    kind_a, kind_b = f.kinds
    if kind_a != kind_b:
        return _notice_relation(f, decision, kind_a, kind_b)
    if kind_a or decision == "auto":
        return None
    if len(set(f.venues) & _VERSIONED) == 2 and not any(abstract):
        return _version_relation(f)
    return _abstract_relation(f, abstract, pages, years)


def _version_relation(f: Features) -> tuple[str, int, tuple[str, ...]] | None:
    """A conference paper and the journal article of the same work: the conference paper is a version of it."""
    if f.first_author not in ("same", "similar") and f.author_overlap < 0.5:
        return None
    if not 0 <= f.year_gap <= VERSION_YEARS:
        return None
    side = 0 if _VERSION_ORDER.index(f.venues[0]) < _VERSION_ORDER.index(f.venues[1]) else 1
    return "version-of", side, (f"a {f.venues[side]} publication and a {f.venues[1 - side]} publication with the "
                                "same title and authors (versions of one work)",)


def _notice_relation(f: Features, decision: str, kind_a: str, kind_b: str) -> tuple[str, int, tuple[str, ...]] | None:
    if decision != "veto":
        return None
    side = 0 if _PRECEDENCE[kind_a] < _PRECEDENCE[kind_b] else 1
    kind = (kind_a, kind_b)[side]
    if kind == "protocol":
        authors = f.first_author in ("same", "similar") or f.author_overlap >= 0.5
        if not authors or f.year_gap > PROTOCOL_YEARS:
            return None
    elif f.year_gap > NOTICE_YEARS or f.journal == "different":
        return None  # errata, comments and replies appear in the paper's journal, soon after it
    article = "an" if kind[0] in "aeiou" else "a"
    return KIND_RELATIONS[kind], side, (f"the title announces {article} {kind} about the other record",)


def _abstract_relation(f: Features, abstract: tuple[bool, bool], pages: tuple[tuple[str, str], tuple[str, str]],
                       years: tuple[int, int]) -> tuple[str, int, tuple[str, ...]] | None:
    if f.first_author not in ("same", "similar") or not (f.author_overlap >= 0.5 or min(f.authors_a, f.authors_b) <= 1):
        return None
    if not 0 <= f.year_gap <= 2:
        return None
    spans = (page_span(*pages[0]), page_span(*pages[1]))
    paper = [not abstract[k] and spans[k] is not None and spans[k][1] - spans[k][0] >= 2 for k in (0, 1)]  # type: ignore[index]
    for side in (0, 1):
        other = 1 - side
        if abstract[side] and paper[other] and years[side] <= years[other]:
            return "abstract-of", side, ("a meeting abstract (conference, supplement or abstract pages) and a paper",)
    if f.journal not in ("same", "compatible") or f.volume != "same":
        return None
    for side in (0, 1):
        other, span = 1 - side, spans[side]
        if not paper[other] or span is None or span[0] != span[1]:
            continue
        start, end = spans[other]  # type: ignore[misc]
        if span[0] < start:
            return "abstract-of", side, ("a single page earlier in the same volume than the paper (an abstract issue)",)
        if span[0] > end:
            return "erratum-of", side, ("probably: a single page later in the same volume, listed under the "
                                        "paper's title",)
    return None
