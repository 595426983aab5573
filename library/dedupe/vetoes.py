"""The known traps: pairs that look alike but are different items.

Two levels, because a false merge is worse than a missed duplicate:

* **vetoes** — evidence that the records are different items (different DOIs or PMIDs, an erratum and the
  paper it corrects, Part 1 and Part 2, chapters sharing the DOI of their book, a trial protocol and the trial's
  results). A vetoed pair is never merged and never proposed, and it stops transitive merging through a third
  record.
* **cautions** — evidence that *may* mean different items (another journal or year: a conference abstract and
  the full paper; different pages or volume; another issue where only the first page agrees - an erratum
  listed under the paper's title and first page; a different first author). A pair with a caution is at most
  proposed for review.
"""

from __future__ import annotations

from .scoring import Features

REVIEW_TITLE = 0.80  # below this title similarity two records with the same DOI are different items

__all__ = ["CHAPTER_TYPES", "cautions", "vetoes"]

CHAPTER_TYPES = frozenset({"inbook", "incollection", "inproceedings", "conference", "bookinbook", "suppbook"})

_KIND_NAMES = {"": "paper", "erratum": "erratum", "retraction": "retraction notice", "concern":
               "expression of concern", "reply": "reply", "comment": "comment/letter", "protocol": "protocol"}


def _plain(numbers: frozenset[str]) -> frozenset[str]:
    return frozenset(n for n in numbers if ":" not in n)


def _series(numbers: frozenset[str]) -> frozenset[str]:
    return frozenset(n.replace(":", " ") for n in numbers if ":" in n)


def vetoes(f: Features) -> list[str]:
    """Reasons why the two records are certainly different items (empty: no veto)."""
    found = []
    if f.doi == "different":
        found.append("different DOIs")
    if f.pmid == "different":
        found.append("different PMIDs")
    if f.pmcid == "different":
        found.append("different PMCIDs")
    kind_a, kind_b = f.kinds
    # an erratum notice that one database lists under the corrected article's title: same volume and first page;
    # "(treatment protocol of Essen University Hospital)" in one source's title of the same article (a protocol
    # and the results of its trial never share year, volume and first page)
    same_place = f.volume == "same" and f.page == "same"
    same_item = same_place and ({kind_a, kind_b} == {"", "erratum"} or (
        {kind_a, kind_b} == {"", "protocol"} and f.year_gap == 0
        and (f.journal in ("same", "compatible") or f.first_author == "same")))
    if kind_a != kind_b and not same_item:
        found.append(f"{_KIND_NAMES[kind_a]} vs {_KIND_NAMES[kind_b]}")
    plain_a, plain_b = _plain(f.numbers[0]), _plain(f.numbers[1])
    if plain_a and plain_b and plain_a != plain_b:
        found.append("numbers in the titles differ (" + ", ".join(sorted(plain_a ^ plain_b)) + ")")
    if f.doi == "same" and not f.title_missing and f.pmid != "same" and (
            (f.title < 0.9 and (f.entry_types[0] in CHAPTER_TYPES or f.entry_types[1] in CHAPTER_TYPES))
            or (f.title < REVIEW_TITLE and (f.page == "different" or f.first_author == "different"))):
        found.append("items sharing a container DOI (chapters of a book, abstracts of a supplement)")
    if f.year_gap > 3 and not f.same_identifier:
        found.append(f"published {f.year_gap} years apart (another version or edition)")
    return found


def cautions(f: Features) -> list[str]:
    """Reasons to let an editor decide rather than merging automatically."""
    found = []
    if f.year_gap > 1:
        found.append(f"years differ by {f.year_gap}")
    if f.journal == "different":
        found.append("different journals (conference abstract and paper?)")
    if f.volume == "different":
        found.append("different volumes")
    if f.page == "different":
        found.append("different pages")
    elif f.issue == "different" and (f.page != "same" or f.last_page != "same"):
        found.append("different issues")
    if f.short_title and f.page != "same" and not f.same_identifier:
        found.append("short, generic title without matching pages")
    if f.first_author == "different":
        found.append("different first authors")
    elif 0 <= f.author_overlap < 0.5 and min(f.authors_a, f.authors_b) >= 2:
        found.append("author lists differ")
    series_a, series_b = _series(f.numbers[0]), _series(f.numbers[1])
    if series_a != series_b:
        found.append("a part/phase number in one title only (" + ", ".join(sorted(series_a ^ series_b)) + ")")
    if f.doi == "same" and not f.title_missing and f.title < 0.8:
        found.append("same DOI but different titles")
    if f.reworded and not f.translated:
        found.append(f"titles differ in wording ({' '.join(f.reworded)})")
    return found
