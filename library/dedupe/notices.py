"""Related records: the erratum, retraction, comment, reply, protocol or meeting abstract of a paper.

The issue's vetoes forbid merging these with the paper they are about (an erratum is not the study; a conference
abstract and the full paper are for an editor to judge). A mature tool still *finds* them: the matcher reports
each such pair as a related link with its kind, beside the merge clusters and the review list, and a link never
merges anything (it is derived from vetoed or review pairs only, and dropped when both ends end up in one
cluster anyway).

Kinds (the link reads "source KIND target"): ``erratum-of``, ``retraction-of``, ``concern-about`` (expression
of concern), ``comment-on``, ``reply-to``, ``protocol-of``, ``abstract-of`` (a meeting abstract of the paper) and
``version-of`` (a conference paper and the journal version of the same work). Evidence, strongest first:

1. a **pointer** in the paper's own title notes: MEDLINE/Ovid append "[Erratum appears in N Engl J Med. 2009
   Jun 4;360(23):2487]" — the record at that volume and first page is the erratum, whatever its title says
   (some databases list an erratum under the corrected paper's title). Such a pair is also vetoed.
2. a **notice kind** read from the title ("Erratum: ...", "... - Reply", "Re: ...", "study protocol"), with the
   notice's *subject* (the title without the notice words) matching the other record's title.
3. for abstracts: one record **looks like a meeting abstract** (a conference in the journal field, a supplement
   with a short page range, pages like "S42", "100A" or "e12") and the other like a paper with a page range; or a
   single page earlier in the same journal volume than the paper's pages (an abstract issue). A single page
   *later* in the same volume under the paper's own title is reported as a probable erratum.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .comparison_keys import fold, journal_tokens, strip_notes

__all__ = ["KIND_RELATIONS", "MEETING", "Related", "looks_like_abstract", "notice_pointers", "notice_subject",
           "page_span"]

KIND_RELATIONS = {"erratum": "erratum-of", "retraction": "retraction-of", "concern": "concern-about",
                  "reply": "reply-to", "comment": "comment-on", "protocol": "protocol-of"}
SUBJECT_MIN = 12  # characters: a shorter subject ("Reply", "Erratum") is no subject


@dataclass(frozen=True, slots=True)
class Related:
    """``a`` is the ``kind`` of ``b`` ("a erratum-of b"): found, reported, never merged."""

    a: str
    b: str
    kind: str
    score: float
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"keys": [self.a, self.b], "kind": self.kind, "score": self.score, "reasons": list(self.reasons)}


# --- subjects: what a notice is about ---------------------------------------------------------------------------
_LEAD = re.compile(
    r"^(?:notice of retraction|retraction (?:notice|note|of publication)|retraction|withdrawn|withdrawal notice|"
    r"(?:editorial )?expression of concern|errat(?:um|a)|corrigend(?:um|a)|corrections?(?: notice)?|"
    r"author correction|publisher correction|addendum|(?:in )?reply|(?:the )?authors? reply|author response|"
    r"response from the authors|response|re|comment(?:ary)?|letter to the editor|editorial comment|"
    r"invited commentary)(?: (?:to|for|on|of|in|regarding))?(?: (?:the )?(?:letter|comment|article|paper|"
    r"correspondence|commentary|editorial)(?: (?:by|on|to|of|about|regarding))?)? ")
_TRAIL = re.compile(r" (?:the )?(?:authors? )?reply$")
_PROTOCOL_WORDS = re.compile(r"\b(?:(?:a |the )?(?:study|trial|treatment) protocol(?: for| of)?|protocol (?:for|of)|"
                             r"a protocol|rationale and design(?: of)?|design and rationale(?: of)?|"
                             r"statistical analysis plan(?: for| of)?)\b")
# Web of Science / Embase name the corrected article after the title, sometimes cut off by the export:
# "Erratum: Gain-of-function ... (Proceeding of the National Academy of Science ... (Januar"
_CUT_CITATION = re.compile(r"\s*\([A-Z][^()]{3,160}(?:\([^()]*)?$")


def notice_subject(raw_title: str, folded_title: str, kind: str) -> str:
    """The folded title of what a notice is about ("Erratum to: X" -> x); the folded title for a paper."""
    if not kind:
        return folded_title
    text = folded_title
    if kind in ("erratum", "retraction", "concern", "comment", "reply"):
        raw = strip_notes(_CUT_CITATION.sub("", raw_title.strip()))
        text = _TRAIL.sub("", _LEAD.sub("", fold(raw), count=1))
    elif kind == "protocol":
        text = " ".join(_PROTOCOL_WORDS.sub(" ", folded_title).split())
    return text if len(text.replace(" ", "")) >= SUBJECT_MIN else folded_title


# --- pointers: "[Erratum appears in J. 2009 Jun 4;360(23):2487]" ------------------------------------------------
_POINTER = re.compile(
    r"\[\s*(erratum|comment|retraction|expression of concern)s?\s+(?:appears?\s+)?in\s*:?\s*([^\[\];]*?)"
    r"\b((?:19|20)\d\d)\b[^;\[\]]*;\s*(\d+)\s*(?:\([^()]*\))?\s*:\s*[A-Za-z]{0,2}(\d+)", re.IGNORECASE)
_POINTER_KIND = {"erratum": "erratum", "comment": "comment", "retraction": "retraction",
                 "expression of concern": "concern"}

Pointer = tuple[str, str, int, str, str]  # notice kind, journal tokens, year, volume, first page


def notice_pointers(raw_title: str) -> tuple[Pointer, ...]:
    """The notices a title's database notes point at: (kind, journal tokens, year, volume, first page)."""
    if "[" not in raw_title:
        return ()
    return tuple((_POINTER_KIND[m.group(1).lower()], journal_tokens(m.group(2).strip(" .")), int(m.group(3)),
                  m.group(4).lstrip("0"), m.group(5).lstrip("0")) for m in _POINTER.finditer(raw_title))


# --- meeting abstracts -------------------------------------------------------------------------------------------
MEETING = re.compile(r"\b(?:conference|congress|meeting|symposium|abstracts?)\b", re.IGNORECASE)
_NOT_MEETING = re.compile(r"\bdissertation", re.IGNORECASE)
_SUPPLEMENT = re.compile(r"\bsup(?:p|pl|plement)?\b", re.IGNORECASE)
# "S42", "100A--101A" (supplement and abstract-book pages), "e12" (a short e-page: journals print meeting
# abstracts there; an online article's number is longer: "e0193972")
_ABSTRACT_PAGES = re.compile(r"^\s*(?:S\d+|\d+A|e\d{1,4})\s*(?:-+\s*(?:[Se]?\d+A?))?\s*$", re.IGNORECASE)


_PROCEEDINGS = frozenset({"inproceedings", "conference", "proceedings"})


def looks_like_abstract(journal: str, volume: str, issue: str, pages: str, first: str, last: str,
                        entry_type: str = "") -> bool:
    """A meeting abstract: a conference named in the journal field (at most two pages; no pages only outside
    proceedings, whose papers are full papers), a supplement with at most two pages, pages like "S42"."""
    span = page_span(first, last)
    short = span is not None and span[1] - span[0] <= 1
    if MEETING.search(journal) and not _NOT_MEETING.search(journal) and (
            short or (not first and entry_type.lower() not in _PROCEEDINGS)):
        return True
    if short and (_SUPPLEMENT.search(volume) or _SUPPLEMENT.search(issue)):
        return True
    return short and bool(_ABSTRACT_PAGES.match(pages))


# --- page numbers -------------------------------------------------------------------------------------------------
def page_span(first: str, last: str) -> tuple[int, int] | None:
    """(first, last) page as numbers ("1223", "9" -> (1223, 1229)); None without a numeric first page."""
    if not first.isdecimal():
        return None
    start = int(first)
    end = int(last) if last.isdecimal() else start
    if end < start and len(last) < len(first):  # "1223-9"
        end = int(first[: len(first) - len(last)] + last)
    return start, max(start, end)
