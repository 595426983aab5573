"""From field relations to a decision: auto-merge, review, veto, or not a duplicate.

Vetoes come first (:mod:`library.dedupe.vetoes`: different identifiers, erratum/reply/comment/protocol versus
paper, Part 1 versus Part 2, items sharing a container DOI). Then the tiers, strongest first:

1. **identifier** — the same DOI, PMID or PMCID (no other identifier disagrees): auto-merged when the titles
   agree too (or one is missing) and, for a DOI alone, the first pages do not differ; otherwise review.
2. **citation** (reported as tier ``fuzzy``) — same first author and author list, year, journal (or its
   abbreviation), volume, first *and* last page, no differing issue, and a title that is at least related
   (or a translation in MEDLINE's brackets): one article, retitled or translated by one source.
3. **fuzzy** — the folded titles near-identical (>= 0.90), the first author the same (spelling variants
   allowed) with overlapping author lists, the same year, at least one locator that agrees (journal or its
   abbreviation, volume, first page) and none that disagrees. A one-year gap (online first versus print) needs
   the same volume and journal; same year + volume + first page also accepts a variant journal name.

Anything similar that misses one of those conditions goes to **review** (conference abstract versus paper,
other pages, another first author ...), unless it is by other people and differs in more than one way: then it
is simply a different paper. The rules are deliberately conservative: a missed duplicate costs an editor a
look at the review list, a false merge costs a study.
"""

from __future__ import annotations

from dataclasses import dataclass

from .scoring import Features
from .vetoes import REVIEW_TITLE, cautions, messages, vetoes

__all__ = ["AUTO_TITLE", "REVIEW_TITLE", "WRONG_ID", "Verdict", "decide", "identifier_doubts"]

AUTO_TITLE = 0.90
STRICT_TITLE = 0.97


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: str  # auto | review | veto
    tier: str  # identifier | fuzzy
    score: float
    reasons: tuple[str, ...]


def _score(f: Features) -> float:
    """A summary in 0..1 for sorting and display; decisions use the relations, not this number."""
    author = max(f.author_overlap, 0.0) if f.first_author != "different" else 0.0
    year = 1.0 if f.year_gap == 0 else 0.5 if f.year_gap == 1 else 0.0
    journal = {"same": 1.0, "compatible": 0.9, "missing": 0.5}.get(f.journal, 0.0)
    locator = sum({"same": 1.0, "compatible": 0.75, "missing": 0.5}.get(r, 0.0) for r in (f.volume, f.page)) / 2
    ids = 1.0 if f.same_identifier else 0.0
    value = 0.45 * f.title + 0.2 * author + 0.1 * year + 0.1 * journal + 0.1 * locator + 0.05 * ids
    return round(min(1.0, value + (0.3 * ids * (1 - value))), 3)


def _evidence(f: Features) -> list[str]:
    found = [f"same {name.upper()}" for name in f.same_identifier]
    if f.doi_versions:
        found.append("the DOIs differ only in a version suffix (versions of one article under one PMID)")
    if not f.title_missing:
        found.append(f"title {f.title:.2f}" + (" (one extends the other)" if f.title_contained else ""))
    if f.names_swapped:
        found.append("names given-name first in one source")
    elif f.first_author in ("same", "similar"):
        found.append(f"first author {f.first_author}")
    if f.author_overlap >= 0:
        found.append(f"authors {f.author_overlap:.0%} shared")
    if f.year_gap >= 0:
        found.append("same year" if f.year_gap == 0 else f"years {f.year_gap} apart")
    if f.journal in ("same", "compatible"):
        found.append("same journal" if f.journal == "same" else "journal abbreviation matches")
    found.extend(f"same {name}" for name in ("volume", "page") if getattr(f, name) == "same")
    if f.page == "compatible":
        found.append("one source gives only the last page")
    return found


def _authors_ok(f: Features) -> bool:
    if f.first_author not in ("same", "similar"):
        return False
    return f.author_overlap >= 0.5 or min(f.authors_a, f.authors_b) <= 1


def _strong_locator(f: Features) -> bool:
    return f.volume == "same" and f.page == "same" and 0 <= f.year_gap <= 1


def _full_citation(f: Features) -> bool:
    """Everything but the title agrees, down to the last page of a page range (two short items can share one
    page: "Data General site report" and "Prime site report" on page 26)."""
    return (not f.title_missing and (f.title >= 0.6 or f.translated) and (f.ranged or f.title >= AUTO_TITLE)
            and f.issue != "different"
            and f.year_gap == 0 and f.volume == "same" and f.page == "same" and f.last_page == "same"
            and f.journal in ("same", "compatible") and f.first_author == "same"
            and (f.author_overlap >= 0.8 or min(f.authors_a, f.authors_b) == 1))


def _authors_conflict(f: Features) -> bool:
    """Two author lists that share too little (not: a list missing, or a group name against people)."""
    if f.first_author in ("same", "similar") or f.author_overlap < 0:
        return False
    if min(f.authors_a, f.authors_b) >= 2:
        return f.author_overlap < 0.5
    # one name each, and another one: a group name for a person ("Group" / "Solomon") only under the very same
    # title and page range; otherwise another paper ("MVS site report" / "VMS site report", one page apart)
    same_citation = f.title >= STRICT_TITLE and f.ranged and f.last_page == "same"
    return f.author_overlap < 0.5 and not same_citation


def _fuzzy_auto(f: Features) -> bool:
    title_ok = f.title >= AUTO_TITLE
    agree = [r for r in (f.journal, f.volume, f.page) if r in ("same", "compatible")]
    if not title_ok:
        # a subtitle dropped by one source: accept only with the full locator agreeing
        return (f.title_contained and _authors_ok(f) and f.year_gap == 0 and f.volume == "same"
                and f.page == "same")
    if f.first_author == "missing":
        # no authors on one side: everything else must agree (pages too, unless neither record has any: a
        # meeting's whole abstract supplement listed by two databases)
        no_pages = f.page == "missing" and f.last_page == "missing"
        return f.title >= STRICT_TITLE and f.year_gap == 0 and (len(agree) == 3 or (
            no_pages and f.volume == "same" and f.journal in ("same", "compatible") and f.issue != "different"))
    if not _authors_ok(f):
        return False
    if f.year_gap == 1:
        # online first versus print: the volume must agree (a meeting's abstracts of the next year would not)
        return f.volume == "same" and f.journal in ("same", "compatible") and f.title >= 0.95
    if f.year_gap != 0:
        return False
    # a title+year+author match needs a locator that agrees (journal, volume or page): with nothing to tell them
    # apart, two records with one title are not surely one item (editions of a book, a report and a paper)
    return bool(agree)


_CITATION_OUTWEIGHS = frozenset({"wording", "generic", "short"})  # a retitled or translated article, a generic title
_LOCATOR_OUTWEIGHS = frozenset({"first-author", "authors"})  # a data-entry variant of the first author's name
WRONG_ID = "likely a wrong identifier"


def _same_place(f: Features) -> bool:
    """The same first author, year, volume and page range: a title in another language, not another paper."""
    return (f.first_author in ("same", "similar") and f.year_gap == 0 and f.volume == "same" and f.page == "same"
            and f.last_page == "same" and f.ranged)


def identifier_doubts(f: Features) -> list[str]:
    """Why a shared identifier may be wrong: the titles or the author lists disagree (where both have them)."""
    doubts = []
    if not f.title_missing and f.title < REVIEW_TITLE and not f.title_contained and not _same_place(f):
        doubts.append("the titles differ")
    if f.first_author == "different" and f.author_overlap < 0.5 and min(f.authors_a, f.authors_b) >= 1:
        doubts.append("the authors differ")
    doubts.extend(f"the {name.upper()}s differ" for name in ("doi", "pmid", "pmcid") if getattr(f, name) == "different")
    return doubts


def decide(f: Features) -> Verdict | None:
    """The verdict on one compared pair, or None when the records are simply different."""
    tier = "identifier" if f.same_identifier else "fuzzy"
    reasons = _evidence(f)
    vetoed = vetoes(f)
    similar = f.title >= REVIEW_TITLE or f.title_contained or bool(f.same_identifier)
    if vetoed:
        if not similar:
            return None
        return Verdict("veto", tier, _score(f), tuple(vetoed + reasons))
    found = cautions(f)
    warned = messages(found)
    codes = {code for code, _ in found}
    if f.same_identifier:
        # an identifier is sure only when the titles and the authors agree too (where both records have them)
        doubts = identifier_doubts(f)
        # conference abstracts share the DOI of their supplement: a DOI alone does not outweigh other pages
        container = f.same_identifier == ["doi"] and f.page == "different"
        if not doubts and not container:
            return Verdict("auto", tier, _score(f), tuple(reasons))
        names = "/".join(name.upper() for name in f.same_identifier)
        doubt = [f"{WRONG_ID}: the same {names}, but {' and '.join(doubts)}"] if doubts else []
        return Verdict("review", tier, _score(f), tuple(doubt + warned + reasons))
    if _full_citation(f) and not codes - _CITATION_OUTWEIGHS:
        # same first author, year, journal, volume and page range: one article, its title translated or retitled
        return Verdict("auto", tier, _score(f), ("same citation (author, year, journal, volume, pages)", *reasons))
    if _strong_locator(f):
        # same year, volume and first page: another spelling of the first author is a data-entry variant, and
        # so is another journal name when the whole page range agrees too (a transliterated or Ovid-style title:
        # "Chung-Hua Chung Liu Tsa Chih" / "Zhonghua zhong liu za zhi")
        outweighed = _LOCATOR_OUTWEIGHS if not _authors_conflict(f) else frozenset()
        if f.ranged and f.last_page == "same":
            outweighed |= {"journal", "short"}
        rest = codes - outweighed
        if not rest and (f.title >= AUTO_TITLE or f.title_contained):
            return Verdict("auto", "fuzzy", _score(f), tuple(reasons))
    if not warned and _fuzzy_auto(f):
        return Verdict("auto", tier, _score(f), tuple(reasons))
    if not similar:
        return None
    if f.first_author == "different" and (len(warned) > 1 or (f.author_overlap < 0.5 and f.title < 0.95)):
        return None  # a similar title by other people, published elsewhere: a different paper
    return Verdict("review", tier, _score(f), tuple(warned + reasons))
