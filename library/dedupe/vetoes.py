"""The known traps: pairs that look alike but are different items.

Two levels, because a false merge is worse than a missed duplicate:

* **vetoes** — evidence that the records are different items: different DOIs, PMIDs or PMCIDs; an erratum,
  reply or comment and the paper it is about; Part 1 and Part 2; chapters sharing the DOI of their book; title
  words that flip the meaning ("Tagged" / "Untagged", "with" / "without", "pre-" / "post-"); a conference paper
  and the journal version of the work (a related ``version-of`` link, never a merge); and, when no identifier is
  shared, two or more of journal, volume, issue and first page (or article number) that disagree — or any one of
  them for a generic title ("Editorial", "Correction", "Editor's comments": one per issue). A vetoed pair is
  never merged and never proposed, and it stops transitive merging through a third record.
* **cautions** — evidence that *may* mean different items (another journal or year: a conference abstract and
  the full paper; one locator that disagrees; a different first author; an original-language title on one side
  only: an article and its translation in the journal's English edition). A pair with a caution is at most
  proposed for review. Each caution has a code, so that the rules can tell which ones a full citation outweighs.
"""

from __future__ import annotations

from .scoring import Features

REVIEW_TITLE = 0.80  # below this title similarity two records with the same DOI are different items

__all__ = ["CHAPTER_TYPES", "Caution", "cautions", "locator_conflicts", "messages", "vetoes"]

CHAPTER_TYPES = frozenset({"inbook", "incollection", "inproceedings", "conference", "bookinbook", "suppbook"})

_KIND_NAMES = {"": "paper", "erratum": "erratum", "retraction": "retraction notice", "concern":
               "expression of concern", "reply": "reply", "comment": "comment/letter", "protocol": "protocol"}

Caution = tuple[str, str]  # (code, message shown to the user)


def _plain(numbers: frozenset[str]) -> frozenset[str]:
    return frozenset(n for n in numbers if ":" not in n)


def _series(numbers: frozenset[str]) -> frozenset[str]:
    return frozenset(n.replace(":", " ") for n in numbers if ":" in n)


def locator_conflicts(f: Features) -> list[str]:
    """The locators on which both records have a value and disagree: journal, volume, issue, first page."""
    found = [name for name, relation in (("journal", f.journal), ("volume", f.volume), ("issue", f.issue))
             if relation == "different"]
    if f.editions and "journal" not in found:
        found.insert(0, "journal edition")
    if f.publisher == "different":
        found.append("publisher")
    if f.page == "different":
        found.append("first page")
    return found


def vetoes(f: Features) -> list[str]:
    """Reasons why the two records are certainly different items (empty: no veto)."""
    found: list[str] = []
    if not f.same_identifier:  # (identifiers that disagree with each other are for review: one is wrong)
        found.extend(f"different {name.upper()}s" for name in ("doi", "pmid", "pmcid")
                     if getattr(f, name) == "different")
    kind_a, kind_b = f.kinds
    # an erratum notice that one database lists under the corrected article's title: same volume and first page;
    # "(treatment protocol of Essen University Hospital)" in one source's title of the same article (a protocol
    # and the results of its trial never share year, volume and first page)
    same_place = f.volume == "same" and f.page == "same"
    same_item = same_place and ({kind_a, kind_b} == {"", "erratum"} or (
        {kind_a, kind_b} == {"", "protocol"} and f.year_gap == 0
        and (f.journal in ("same", "compatible") or f.first_author == "same")))
    # one PubMed record (the same PMID) whose versions differ only in their publication types ("Comment" added)
    one_record = f.pmid == "same" and f.titled_kinds[0] == f.titled_kinds[1]
    if kind_a != kind_b and not same_item and not one_record:
        found.append(f"{_KIND_NAMES[kind_a]} vs {_KIND_NAMES[kind_b]}")
    plain_a, plain_b = _plain(f.numbers[0]), _plain(f.numbers[1])
    if plain_a and plain_b and plain_a != plain_b:
        found.append("numbers in the titles differ (" + ", ".join(sorted(plain_a ^ plain_b)) + ")")
    if f.doi == "same" and not f.title_missing and f.pmid != "same" and f.title < 0.9 and (
            f.entry_types[0] in CHAPTER_TYPES or f.entry_types[1] in CHAPTER_TYPES):
        # (other records sharing a DOI under other titles or authors go to review as a likely wrong identifier)
        found.append("items sharing a container DOI (chapters of a book, papers of a proceedings volume)")
    if f.year_gap > 3 and not f.same_identifier:
        found.append(f"published {f.year_gap} years apart (another version or edition)")
    if f.flipped and not f.translated:
        found.append(f"title words that change the meaning ({', '.join(f.flipped)})")
    venue_a, venue_b = f.venues
    if venue_a and venue_b and venue_a != venue_b and not f.same_identifier:
        found.append(f"a {venue_a} and a {venue_b} publication (another version of the work, not a copy)")
    if f.isbn == "different" and not f.same_identifier:
        found.append("different ISBNs (another edition, binding or printing)")
    if not f.same_identifier:
        conflicts = locator_conflicts(f)
        if len(conflicts) >= 2:
            found.append(f"different {' and '.join(conflicts)}")
        elif conflicts and (f.generic or (f.short_title and conflicts[0] != "journal")):
            # a column that recurs in every issue ("Editorial comments", "From the President"); a journal name
            # alone may be another database's spelling, so a short title in another journal is for review
            found.append(f"a short or generic title in another {conflicts[0]} (a column that recurs in every issue)")
    return found


def cautions(f: Features) -> list[Caution]:
    """Reasons to let an editor decide rather than merging automatically, each with its code."""
    found: list[Caution] = []
    if f.year_gap > 1:
        found.append(("year", f"years differ by {f.year_gap}"))
    if f.journal == "different":
        found.append(("journal", "different journals (conference abstract and paper?)"))
    if f.editions:
        found.append(("edition", "one journal is a language edition of the other (an article and its "
                                 "translation)"))
    if f.volume == "different":
        found.append(("volume", "different volumes"))
    if f.page == "different":
        found.append(("page", "different pages"))
    if f.publisher == "different":
        found.append(("publisher", "different publishers"))
    if f.issue == "different":
        found.append(("issue", "different issues"))
    place = f.page == "same" and f.volume == "same" and f.journal in ("same", "compatible")
    if f.generic and not place and not f.same_identifier:
        found.append(("generic", "generic title (names a kind of item) without the same journal, volume and page"))
    elif f.short_title and not place and not f.same_identifier:
        found.append(("short", "short title without the same journal, volume and page"))
    if f.first_author == "different":
        found.append(("first-author", "different first authors"))
    elif 0 <= f.author_overlap < 0.5 and min(f.authors_a, f.authors_b) >= 2:
        found.append(("authors", "author lists differ"))
    series_a, series_b = _series(f.numbers[0]), _series(f.numbers[1])
    if series_a != series_b:
        found.append(("series", "a part/phase number in one title only (" + ", ".join(sorted(series_a ^ series_b))
                      + ")"))
    if f.doi == "same" and not f.title_missing and f.title < 0.8:
        found.append(("identifier", "same DOI but different titles"))
    if f.reworded and not f.translated:
        found.append(("wording", f"titles differ in wording ({' '.join(f.reworded)})"))
    if f.vernacular[0] != f.vernacular[1] and not f.same_identifier:
        found.append(("translation", "one record also gives an original-language title (an article and its "
                                     "translation in another edition?)"))
    return found


def messages(found: list[Caution]) -> list[str]:
    return [message for _, message in found]
