"""Field-by-field comparison of candidate pairs.

Two passes, because most candidate pairs are obviously different: a vectorized pass (rapidfuzz ``cpdist``
over all pairs at once, numpy comparisons of identifiers) drops pairs with nothing in common, then
:func:`compare` looks at the survivors field by field and says *how* each field relates (same / compatible /
different / missing). Deciding what those relations mean is the job of :mod:`library.dedupe.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from .comparison_keys import fold
from .table import KeyTable

__all__ = ["Features", "compare", "flipped_words", "journal_relation", "prefilter", "surname_overlap"]

TITLE_FLOOR = 0.72  # below this title similarity a pair survives only on identifiers or locators
SHORT_TITLE = 30  # characters of the folded title without spaces
CONTAINED_MIN = 30  # characters: a shorter title contained in a longer one is a dropped subtitle, not a word


def _nonempty_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) & (a != "")


def prefilter(table: KeyTable, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs worth a detailed look, with their title similarity (0..1); vectorized over all pairs."""
    if not len(pairs):
        return pairs, np.empty(0, dtype=np.float32)
    left, right = pairs[:, 0], pairs[:, 1]
    titles_a, titles_b = table.title[left], table.title[right]
    sims = process.cpdist(titles_a, titles_b, scorer=fuzz.ratio, workers=-1, dtype=np.float32) / 100
    sims[(titles_a == "") | (titles_b == "")] = 0.0
    same_id = (_nonempty_equal(table.doi[left], table.doi[right])
               | _nonempty_equal(table.pmid[left], table.pmid[right])
               | _nonempty_equal(table.pmcid[left], table.pmcid[right]))
    locator = (_nonempty_equal(table.first_author[left], table.first_author[right])
               & (table.year[left] == table.year[right]) & (table.year[left] >= 0)
               & _nonempty_equal(table.volume[left], table.volume[right])
               & _nonempty_equal(table.page[left], table.page[right]))
    keep = (sims >= TITLE_FLOOR) | same_id | locator
    # a subtitle one source dropped ("Infrastructure in the Wild"): one compact title starts with the other, both at
    # least CONTAINED_MIN long, so their first CONTAINED_MIN characters are equal; only those pairs are looked at
    compact = table.compact
    long_enough = np.char.str_len(compact.astype(str)) >= CONTAINED_MIN
    heads = compact.astype(f"<U{CONTAINED_MIN}")
    maybe = ~keep & long_enough[left] & long_enough[right] & (heads[left] == heads[right])
    for n in np.flatnonzero(maybe).tolist():
        a, b = compact[left[n]], compact[right[n]]
        if a.startswith(b) or b.startswith(a):
            keep[n] = True
    return pairs[keep], sims[keep]


@dataclass(frozen=True, slots=True)
class Features:
    """How two records relate, field by field (relations: same / compatible / different / missing)."""

    title: float  # 0..1 similarity of folded titles; 0 when either is missing
    title_missing: bool
    title_contained: bool  # one title is the other plus a subtitle (or a truncation of it)
    translated: bool  # either title is a translation in MEDLINE's [brackets]
    short_title: bool  # a title too generic to identify a paper ("Editor's comments", "Introduction")
    reworded: tuple[str, ...]  # words swapped for other words ("oil-based" / "water-based"), not typos
    first_author: str  # same | similar | different | missing
    author_overlap: float  # share of the shorter surname list found in the other; -1 when missing
    names_swapped: bool  # one source gives every name given-name first (then first_author is 'similar')
    authors_a: int
    authors_b: int
    year_gap: int  # -1 when missing
    journal: str  # same | compatible | different | missing
    volume: str
    page: str  # same | compatible (a single page that is the other's last page) | different | missing
    last_page: str
    issue: str
    doi: str
    pmid: str
    pmcid: str
    kinds: tuple[str, str]
    numbers: tuple[frozenset[str], frozenset[str]]
    entry_types: tuple[str, str]
    flipped: tuple[str, ...] = ()  # word differences that flip the meaning ("tagged / untagged", "pre / post")
    vernacular: tuple[bool, bool] = (False, False)  # a title in the original language given (a translation)
    venues: tuple[str, str] = ("", "")  # conference | journal | ''
    generic: bool = False  # either title names a kind of item, not an item ("Editorial", "Correction")
    doi_versions: bool = False  # the DOIs differ only in a version suffix, under one PMID
    ranged: bool = False  # both records give a page range (not a single page)
    titled_kinds: tuple[str, str] = ("", "")  # the notice kinds the titles alone announce
    isbn: str = "missing"  # same (an ISBN in common) | different (none in common) | missing
    publisher: str = "missing"  # same | compatible | different | missing
    editions: bool = False  # one journal name states a language edition the other does not ("(English ed.)")

    @property
    def same_identifier(self) -> list[str]:
        return [name for name in ("doi", "pmid", "pmcid") if getattr(self, name) == "same"]


def _relation(a: str, b: str) -> str:
    if not a or not b:
        return "missing"
    return "same" if a == b else "different"


def _abbreviates(short: str, word: str) -> bool:
    """'natl' abbreviates 'national', 'physiol' 'physiology': same first letter, letters in order."""
    if word.startswith(short):
        return True
    if short[0] != word[0] or len(short) > len(word):
        return False
    position = 0
    for char in short:
        position = word.find(char, position) + 1
        if position == 0:
            return False
    return True


def _abbreviation_of(short: list[str], long: list[str]) -> bool:
    """Each word of ``short`` abbreviates a word of ``long``, in order, covering it (or 3+ words matched)."""
    matched, position = 0, 0
    for token in short:
        while position < len(long) and not _abbreviates(token, long[position]):
            position += 1
        if position == len(long):
            return False
        matched += 1
        position += 1
    return matched == len(long) or matched >= 3


def journal_relation(a: str, b: str) -> str:
    """same / compatible (one abbreviates the other) / different / missing, on :func:`journal_tokens` text."""
    if not a or not b:
        return "missing"
    if a == b:
        return "same"
    words_a, words_b = a.split(), b.split()
    if len(words_a) <= len(words_b) and _abbreviation_of(words_a, words_b):
        return "compatible"
    if len(words_b) <= len(words_a) and _abbreviation_of(words_b, words_a):
        return "compatible"
    if fuzz.ratio(a, b) >= 90 or _acronym_of(words_a, words_b) or _acronym_of(words_b, words_a):
        return "compatible"
    return "different"


_VENUE_NOISE = frozenset({"proceedings", "proc", "conference", "conf", "annual", "international", "intl",
                          "meeting", "symposium", "workshop", "congress"})


def _spells(acronym: str, words: list[str]) -> bool:
    """Can ``acronym`` be read as a non-empty prefix of every word in turn ('amcis': AMericas Conference ...)?"""
    if not words:
        return not acronym
    word = words[0]
    return any(acronym.startswith(word[:k]) and _spells(acronym[k:], words[1:])
               for k in range(1, min(len(word), len(acronym)) + 1))


def _acronym_of(short: list[str], long: list[str]) -> bool:
    """'Amcis 2017 Proceedings' is the 'Americas Conference on Information Systems' (years, 'proceedings' aside)."""
    core = [w for w in short if not w.isdecimal() and w not in _VENUE_NOISE]
    if len(core) != 1 or len(core[0]) < 3:
        return False
    words = [w for w in long if not w.isdecimal()]
    return 3 <= len(words) <= 8 and _spells(core[0], words)


def _similar_surname(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) >= 4 and (a in b or b in a):
        return True  # "rijswijk" / "vanrijswijk", a compound name cut by one source
    return min(len(a), len(b)) >= 5 and fuzz.ratio(a, b) >= 85


def surname_overlap(a: list[str], b: list[str]) -> float:
    """Share of the shorter list's surnames that occur (allowing small spelling differences) in the other."""
    if not a or not b:
        return -1.0
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    pool = list(long)
    matched = 0
    for name in short:
        hit = next((k for k, other in enumerate(pool) if _similar_surname(name, other)), -1)
        if hit >= 0:
            matched += 1
            pool.pop(hit)
    return matched / len(short)


def _first_author(a: str, b: str) -> str:
    if not a or not b:
        return "missing"
    if a == b:
        return "same"
    return "similar" if _similar_surname(a, b) else "different"


_RANK = {"same": 3, "compatible": 2, "different": 1, "missing": 0}


def _journals(table: KeyTable, i: int, j: int) -> str:
    """The best relation over full and main journal titles ("Diabetes. Conference: ..." is "Diabetes")."""
    full_a, full_b, main_a, main_b = table.journal[i], table.journal[j], table.journal_main[i], table.journal_main[j]
    found = journal_relation(full_a, full_b)
    if found in ("same", "missing"):
        return found
    for a, b in ((main_a, main_b), (main_a, full_b), (full_a, main_b)):
        other = journal_relation(a, b)
        if _RANK[other] > _RANK[found]:
            found = other
    return "compatible" if found == "same" else found


def _page_relation(table: KeyTable, i: int, j: int) -> str:
    """First pages compared, with two source errors forgiven.

    "1" or another short single number against an article number (a PDF's page count: "11" / "106482") tells
    nothing; a first page that differs by one typed digit from the other while the last pages agree
    ("2297--2108" / "2097--2108") is the same page. A single page that is the other's last page ("359" /
    "356--359": one source kept the wrong end of the range) is ``compatible``: not a disagreement, but not the
    agreement of a shared first page either. An article number ("c1804", "a1754") against a printed page
    ("1014") is two numbering systems, not two places: it tells nothing.
    """
    a, b = table.page[i], table.page[j]
    if table.damaged[i] != table.damaged[j]:
        return "missing"  # "01--Jun" (a spreadsheet's date for "1-6") against real pages tells nothing
    if a and b and a != b:
        if (i in table.page_sets or j in table.page_sets) and \
                table.page_sets.get(i, frozenset((a,))) & table.page_sets.get(j, frozenset((b,))):
            return "same"  # the same article printed on several ranges, listed in another order
        if "1" in (a, b) and max(len(a), len(b)) >= 5:
            return "missing"
        if min(len(a), len(b)) <= 3 and max(len(a), len(b)) >= 5 and not (table.last_page[i] or table.last_page[j]):
            return "missing"  # a page count ("11") where the other source gives the article number ("106482")
        numbered_a, numbered_b = table.numbered[i], table.numbered[j]
        if numbered_a != numbered_b and len(b if numbered_a else a) >= 4:
            return "missing"
        end_a, end_b = table.last_page[i], table.last_page[j]
        if end_a and end_a == end_b and len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1:
            return "same"
        if (not end_a and a == end_b) or (not end_b and b == end_a):
            return "compatible"
    return _relation(a, b)


_TITLE_STOP = frozenset({"a", "an", "the", "of", "in", "on", "and", "or", "for", "to", "with", "by", "at", "from",
                         "as", "is", "are", "its", "their", "de", "la", "le", "et", "und", "der", "die"})
# Swaps that change the study however small the edit: "in men" / "in women", "non-small cell" / "small cell"
_OPPOSITES = frozenset(frozenset(pair) for pair in (
    ("men", "women"), ("man", "woman"), ("male", "female"), ("males", "females"), ("boys", "girls"),
    ("adults", "children"), ("adult", "child"), ("adult", "pediatric"), ("adult", "paediatric"),
    ("before", "after"), ("pre", "post"), ("increase", "decrease"), ("increased", "decreased"),
    ("increases", "decreases"), ("high", "low"), ("higher", "lower"), ("acute", "chronic"),
    ("positive", "negative"), ("primary", "secondary"), ("early", "late"), ("upper", "lower"),
    ("left", "right"), ("inpatient", "outpatient"), ("maternal", "paternal"), ("oral", "vaginal")))
_NEGATIONS = frozenset({"non", "not", "no", "without", "un", "anti"})
TYPO_EDITS = 2  # character edits between whole titles that are read as typing or OCR errors


def swapped_words(a: str, b: str) -> tuple[str, ...]:
    """Words each title has that the other lacks and that are not spelling variants of each other.

    Near-identical titles of two papers differ by a word swapped for another ("Oil-based ..." / "Water-based
    ...", "... in women" / "... in men", "non-small cell" / "small cell"); copies of one paper differ by typos,
    British spelling or a dropped subtitle, which leave at most one side with extra words.
    """
    if a == b or not a or not b:
        return ()
    words_a, words_b = set(a.split()), set(b.split())
    only_a, only_b = words_a - words_b, words_b - words_a
    opposite = [f"{x} / {y}" for x in only_a for y in only_b if frozenset((x, y)) in _OPPOSITES]
    negated = sorted((only_a | only_b) & _NEGATIONS)
    if opposite or negated:
        return (*opposite, *negated)
    if Levenshtein.distance(a, b, score_cutoff=TYPO_EDITS + 1) <= TYPO_EDITS:
        return ()  # "orl" for "oil", "ditrorcohort" for "ditro cohort"
    only_a, only_b = only_a - _TITLE_STOP, only_b - _TITLE_STOP
    if not only_a or not only_b:
        return ()
    compact_a, compact_b = a.replace(" ", ""), b.replace(" ", "")  # "celllung" / "cell lung", "follow up"

    def unmatched(words: set[str], others: set[str], other_compact: str) -> list[str]:
        return [w for w in words if not (len(w) >= 6 and w in other_compact)  # a joined word: "celllung"
                and not any(fuzz.ratio(w, v) >= 75 for v in others)]

    unmatched_a, unmatched_b = unmatched(only_a, only_b, compact_b), unmatched(only_b, only_a, compact_a)
    if not unmatched_a or not unmatched_b:
        return ()
    return (*sorted(unmatched_a), "/", *sorted(unmatched_b))


# Prefixes that negate a word ("untagged", "noninvasive", "asymptomatic") and prefix pairs that make opposites
# ("preoperative" / "postoperative", "hypoglycemia" / "hyperglycemia").
_NEGATING = ("un", "non", "in", "im", "ir", "il", "dis", "anti", "a")
_PAIRED = (("pre", "post"), ("hypo", "hyper"), ("intra", "extra"), ("inter", "intra"), ("sub", "supra"),
           ("over", "under"), ("up", "down"), ("in", "out"), ("endo", "exo"), ("homo", "hetero"), ("mono", "poly"),
           ("micro", "macro"), ("infra", "supra"), ("ante", "post"), ("under", "over"))
STEM_MIN = 4


def _flip(x: str, y: str) -> bool:
    for long, short in ((x, y), (y, x)):
        for prefix in _NEGATING:
            if long == prefix + short and len(short) >= STEM_MIN:
                return True
    for one, other in _PAIRED:
        for p, q in ((one, other), (other, one)):
            if x.startswith(p) and y.startswith(q) and x[len(p):] == y[len(q):] and len(x) - len(p) >= STEM_MIN - 1:
                return True
    return frozenset((x, y)) in _OPPOSITES


def flipped_words(a: str, b: str) -> tuple[str, ...]:
    """Word differences that turn one title into another study: "Untagged" / "Tagged", "with" / "without",
    "pre" / "post", "non-small cell" / "small cell", "in men" / "in women".

    A title that only extends the other (a subtitle one source dropped) flips nothing: "X: a non-randomized
    study" is still X.
    """
    if a == b or not a or not b:
        return ()
    compact_a, compact_b = a.replace(" ", ""), b.replace(" ", "")
    if compact_a.startswith(compact_b) or compact_b.startswith(compact_a):
        return ()
    words_a, words_b = set(a.split()), set(b.split())
    only_a, only_b = words_a - words_b, words_b - words_a
    found = [f"{x} / {y}" for x in sorted(only_a) for y in sorted(only_b) if _flip(x, y)]
    found += sorted((only_a | only_b) & _NEGATIONS)
    return tuple(found)


SWAPPED_SHARE = 0.8


def _given_words(given: list[str]) -> str:
    """Folded first words of given names ('Santos A' -> 'santos'), initials left out; '' unless most names
    have one (then the list can be read as surnames written given-name first)."""
    words = []
    for name in given:
        word = name.split(" ", 1)[0].strip(".,")
        if len(word) >= 3 and not word.isupper():
            words.append(fold(word).replace(" ", ""))
    return " ".join(words) if len(words) >= 2 and len(words) * 5 >= len(given) * 4 else ""


def _names_swapped(table: KeyTable, i: int, j: int, authors_a: list[str], authors_b: list[str]) -> bool:
    """One source wrote every name given-name first ("Luis Ferreira, Santos A" for "Santos, A L"): the other's
    surnames are this one's given names, first author included, for nearly all of two or more authors."""
    for given, other in ((_given_words(table.given[i]), authors_b), (_given_words(table.given[j]), authors_a)):
        words = given.split()
        if len(words) >= 2 and len(other) >= 2 and _similar_surname(words[0], other[0]) \
                and surname_overlap(words, other) >= SWAPPED_SHARE and len(words) * 5 >= len(other) * 4:
            return True
    return False


REORDERED_TITLE = 0.97


def _reordered(a: list[str], b: list[str]) -> bool:
    """The same two or more surnames in another order ("Hong, Zheng" / "Zheng, Hong")."""
    return len(a) == len(b) >= 2 and sorted(a) == sorted(b)


def _volume_relation(a: str, b: str, year_a: int, year_b: int) -> str:
    """Volumes compared; a volume that is its record's own year ("2016" in a 2016 record, where the other
    source gives "94") is a source's stand-in for a missing volume, not another volume."""
    if a and b and a != b and ((a == str(year_a) and len(a) == 4) or (b == str(year_b) and len(b) == 4)):
        return "missing"
    return _relation(a, b)


_MONTH_NAMES = frozenset(("jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun",
                          "june", "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october",
                          "nov", "november", "dec", "december"))


def _issue_relation(a: str, b: str) -> str:
    """Issues compared; a month name against an issue number ("May" / "5") is two ways of naming an issue,
    not a disagreement (two month names or two numbers are compared as they are)."""
    if a and b and a != b and (a in _MONTH_NAMES) != (b in _MONTH_NAMES) and (a.isdecimal() or b.isdecimal()):
        return "missing"
    return _relation(a, b)


def compare(table: KeyTable, i: int, j: int, title_sim: float) -> Features:
    """The field relations of records i and j (``title_sim`` from :func:`prefilter`)."""
    ta, tb = table.compact[i], table.compact[j]
    shorter = min(len(ta), len(tb))
    contained = bool(ta and tb and ta != tb and shorter >= CONTAINED_MIN and (
        ta.startswith(tb) or tb.startswith(ta) or ta.endswith(tb) or tb.endswith(ta)))
    ya, yb = int(table.year[i]), int(table.year[j])
    authors_a, authors_b = table.authors[i].split(), table.authors[j].split()
    first_author = _first_author(table.first_author[i], table.first_author[j])
    overlap = surname_overlap(authors_a, authors_b)
    swapped = first_author == "different" and _names_swapped(table, i, j, authors_a, authors_b)
    if swapped:
        first_author, overlap = "similar", 1.0
    elif first_author == "different" and _reordered(authors_a, authors_b) and title_sim >= REORDERED_TITLE:
        first_author = "similar"  # one author list in another order under the very same title
    doi = _relation(table.doi[i], table.doi[j])
    pmid = _relation(table.pmid[i], table.pmid[j])
    versions = doi == "different" and pmid == "same" and table.doi_base[i] == table.doi_base[j]
    journal = _journals(table, i, j)
    return Features(
        title=float(title_sim),
        title_missing=not ta or not tb,
        title_contained=contained,
        translated=bool(table.translated[i] or table.translated[j]),
        short_title=shorter < SHORT_TITLE,
        reworded=swapped_words(table.title[i], table.title[j]),
        first_author=first_author,
        author_overlap=overlap,
        names_swapped=swapped,
        authors_a=len(authors_a),
        authors_b=len(authors_b),
        year_gap=abs(ya - yb) if ya >= 0 and yb >= 0 else -1,
        journal=journal,
        volume=_volume_relation(table.volume[i], table.volume[j], ya, yb),
        page=_page_relation(table, i, j),
        last_page=_relation(table.last_page[i], table.last_page[j]),
        issue=_issue_relation(table.issue[i], table.issue[j]),
        doi="version" if versions else doi,
        pmid=pmid,
        pmcid=_relation(table.pmcid[i], table.pmcid[j]),
        kinds=(table.kind[i], table.kind[j]),
        numbers=(table.numbers[i], table.numbers[j]),
        entry_types=(table.entry_type[i], table.entry_type[j]),
        flipped=flipped_words(table.title[i], table.title[j]),
        vernacular=(bool(table.vernacular[i]), bool(table.vernacular[j])),
        venues=(table.venue[i], table.venue[j]),
        generic=bool(table.generic[i] or table.generic[j]),
        doi_versions=versions,
        titled_kinds=(table.titled_kind[i], table.titled_kind[j]),
        isbn="missing" if not (table.isbn[i] and table.isbn[j]) else "same" if table.isbn[i] & table.isbn[j]
        else "different",
        publisher=journal_relation(table.publisher[i], table.publisher[j]),
        editions=bool(table.edition[i] != table.edition[j] and table.journal[i] and table.journal[j]),
        ranged=bool(table.last_page[i] and table.last_page[i] != table.page[i]
                    and table.last_page[j] and table.last_page[j] != table.page[j]),
    )
