"""Normalization for matching: the comparison form of titles, names, journals, pages and identifiers.

Why a separate normalization from :mod:`library.normalize`: that module keeps text as people should read it;
matching needs text with every difference that sources introduce *without* changing the study removed —
case, accents, punctuation, "[Article in Chinese]" notes, MEDLINE's brackets around translated titles, Greek
letters spelled out or not, initials with or without dots, "&" versus "and" in journal names.

These are pure functions on strings; :mod:`library.dedupe.table` applies them to a whole library at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import unquote

__all__ = [
    "doi_key",
    "doi_version_base",
    "first_page",
    "fold",
    "generic_title",
    "isbn_keys",
    "issue_key",
    "journal_edition",
    "journal_main",
    "journal_tokens",
    "last_page",
    "notice_kind",
    "page_set",
    "spreadsheet_date",
    "strip_notes",
    "surname",
    "title_key",
    "title_numbers",
    "venue_kind",
    "volume_key",
    "volume_number",
]

# Letters that sources spell out or drop: "TNF-α" / "TNF-alpha", "Ødegård" / "Odegard", "&" / "and"
FOLD_TABLE = str.maketrans({"α": " alpha ", "β": " beta ", "γ": " gamma ", "δ": " delta ", "ε": " epsilon ",
                            "κ": " kappa ", "λ": " lambda ", "μ": " mu ", "π": " pi ", "σ": " sigma ",
                            "τ": " tau ", "ω": " omega ", "Δ": " delta ", "ß": "ss", "ø": "o", "Ø": "o", "æ": "ae",
                            "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "ı": "i", "&": " and "})
_NON_WORD = re.compile(r"[\W_]+")
# Notes that databases append to titles: "[Chinese]", "[Review] [33 refs]", "(Provisional abstract)",
# "[Erratum appears in ...]", "(author's transl)"; an unclosed "[Erratum in ..." where a field was cut off.
_SQUARE_NOTE = re.compile(r"\s*\[([^\[\]]{0,400})\]\.?\s*$")
_OPEN_NOTE = re.compile(r"\s*\[([^\[\]]*)$")
_ROUND_NOTE = re.compile(r"\s*\(([^()]{1,80})\)\.?\s*$")
_LANGUAGES = frozenset({
    "chinese", "japanese", "german", "french", "spanish", "russian", "italian", "polish", "portuguese",
    "dutch", "korean", "czech", "hungarian", "turkish", "swedish", "danish", "norwegian", "finnish", "hebrew",
    "persian", "croatian", "serbian", "greek", "romanian", "slovak", "ukrainian", "english", "transl",
    "translation"})
_NOTE_WORDS = _LANGUAGES | {"article", "in", "and", "author", "authors", "s", "with", "summary", "abstract",
                            "language", "text"}
_NOTE_START = re.compile(
    r"^(?:errat|comment|retract|update|correct|republish|summary for patients|reviews?$|review \d|editorial|"
    r"letter|electronic resource|see |published erratum|provisional abstract|structured abstract|abstract$|"
    r"multiple letters|\d+ refs?$|.*\brefs$|vol \d+ pg \d+|meeting abstract|conference abstract|epub)")
# Web of Science and Embase name the corrected article in a correction's title: "(vol 360, pg 542, 2009)"
_CORRECTION_OF = re.compile(r"\((?:vol\.? ?\d+,? pg\.? ?\d+|[A-Z][^()]{3,120}\(\d{4}\)\s*\d+)", re.IGNORECASE)
_INNER_NOTE = re.compile(r"\s*\[[^\[\]]{0,40}\](?=\])")
_TAGS = re.compile(r"</?[a-z][a-z0-9:-]*\b[^<>]*>", re.IGNORECASE)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower-case words of letters and digits, accents removed, other scripts kept, single spaces.

    Cyrillic or Chinese titles stay as they are (only Latin diacritics are stripped), so that a Ukrainian
    title is not folded to nothing and then "matched" with every other empty title. Cached: journal names and
    given names repeat across a library.
    """
    if not text:
        return ""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.translate(FOLD_TABLE)))
    elif "&" in text:
        text = text.replace("&", " and ")
    return _NON_WORD.sub(" ", text.casefold()).strip()


def _is_note(text: str) -> bool:
    folded = fold(text)
    words = folded.split()
    if words and all(w in _NOTE_WORDS for w in words) and set(words) & _LANGUAGES:
        return True
    return bool(_NOTE_START.match(folded))


def strip_notes(title: str) -> str:
    """Drop trailing database notes and the brackets MEDLINE puts around translated titles."""
    if "<" in title:  # "<ORIGINAL>" in some exports starts the title in the original language
        title = _TAGS.sub("", re.split(r"<original>", title, maxsplit=1, flags=re.IGNORECASE)[0])
    title = title.strip()
    if "[" not in title and "(" not in title:
        return title
    if "]]" in title:  # "[Erratum appears in ... Note: Philipp, Thomas [added]]": drop the inner bracket first
        title = _INNER_NOTE.sub("", title)
    while True:
        square = _SQUARE_NOTE.search(title) or _OPEN_NOTE.search(title)
        if square and square.start() > 0 and (square.group(0).rstrip().endswith(("]", "].")) or
                                               _is_note(square.group(1))):
            title = title[: square.start()].rstrip(" .;:")
            continue
        round_note = _ROUND_NOTE.search(title)
        if round_note and round_note.start() > 0 and _is_note(round_note.group(1)):
            title = title[: round_note.start()].rstrip(" .;:")
            continue
        correction = _CORRECTION_OF.search(title)
        if correction and correction.start() > 20:
            title = title[: correction.start()].rstrip(" .;:")
            continue
        break
    if title.startswith("[") and title.rstrip(".").endswith("]"):
        title = title.rstrip(".")[1:-1]
    return title


def title_key(title: str) -> str:
    """The folded title used for comparison (words separated by single spaces)."""
    folded = fold(strip_notes(title))
    return RETRACTED.sub("", folded) if folded.startswith("retracted") else folded


RETRACTED = re.compile(r"^retracted(?: article)? ")  # Elsevier's mark on the retracted article itself


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_SERIES_WORD = re.compile(r"\b(part|phase|paper|study|trial|series|volume|vol|stage|report|wave|type|grade|class|"
                          r"cohort|round|year|years|month|months|week|weeks|day|days)\s+([ivx]+|\d+)\b")
_NUMBER_BEFORE_UNIT = re.compile(r"\b(\d+)\s+(year|years|month|months|week|weeks|day|days|h|hours|mg|g)\b")
_SMALL_NUMBER = re.compile(r"(?<!\d)\d{1,2}(?!\d)")  # also inside words: "alphavbeta3", "CD4"
_ANY_DIGIT = re.compile(r"\d")
_SERIES_ROMAN = re.compile(r"\b(?:part|phase|paper|study|trial|series|volume|vol|stage|report|wave|type|grade|class|"
                           r"cohort|round) [ivx]+\b")
_NO_NUMBERS: frozenset[str] = frozenset()


def title_numbers(folded_title: str) -> frozenset[str]:
    """Numbers that tell papers of a series apart: "Part II" -> 'part:2', "12-month" -> '12' ...

    Plain numbers count up to two digits (longer ones are mostly years or citations a database appended);
    a number after a series word is also kept with that word, so "Part 2" versus a title without any part
    number can be told from a title that merely lost an appended "[33 refs]". Roman numerals count only after
    a series word, so the pronoun "I" and "vitamin D" are not numbers.
    """
    if not _ANY_DIGIT.search(folded_title) and not _SERIES_ROMAN.search(folded_title):
        return _NO_NUMBERS
    found = set(_SMALL_NUMBER.findall(folded_title))
    for match in _SERIES_WORD.finditer(folded_title):
        word, token = match.groups()
        value = str(_ROMAN[token]) if token in _ROMAN else token
        found.add(value)
        if word in ("part", "phase", "paper", "study", "trial", "series", "volume", "vol", "stage", "report",
                    "wave", "cohort", "round"):
            found.add(f"{word}:{value}")
    for match in _NUMBER_BEFORE_UNIT.finditer(folded_title):
        found.add(match.group(1))
    if not found:
        return _NO_NUMBERS
    numbers = frozenset(found)
    if len(_NUMBER_SETS) >= 1 << 16:
        _NUMBER_SETS.clear()
    return _NUMBER_SETS.setdefault(numbers, numbers)  # a few distinct sets, shared (a set takes 216 bytes)


_NUMBER_SETS: dict[frozenset[str], frozenset[str]] = {}


# What kind of item a title announces. Two records of different kinds are never one study: an erratum,
# a comment or a reply shares most of its title with the paper it is about. Only the start of a title
# counts (MEDLINE appends "[Erratum in: ...]" to the corrected article itself), and the end for replies.
# Words that also start ordinary titles ("Correction of tubal occlusion", "Re-operation rates", "Response to
# treatment", "Retraction pocket") count only in the notice form: with a colon or the words notices use.
_PREFIX_KINDS = (
    ("retraction", re.compile(r"notice of retraction|retraction (?:notice|note)\b|retraction of publication|"
                              r"retraction\s*:|withdrawn\s*:|withdrawal notice", re.IGNORECASE)),
    ("erratum", re.compile(r"errat(?:um|a)\b|corrigend(?:um|a)\b|corrections?\s*(?::|to\b|for\b|notice\b|$)|"
                           r"author correction|publisher correction|addendum\b", re.IGNORECASE)),
    ("concern", re.compile(r"(?:editorial )?expression of concern\b", re.IGNORECASE)),
    ("reply", re.compile(r"(?:reply|in reply|authors?'? reply|the authors'? reply|author response|"
                         r"response from the authors|response\s*:|response to (?:the )?(?:letter|comment|"
                         r"correspondence|commentary|editorial))\b", re.IGNORECASE)),
    ("comment", re.compile(r"(?:re\s*:|comment(?:ary)?\s*(?:on\b|:)|letter to the editor|editorial comment|"
                           r"invited commentary)", re.IGNORECASE)),
)
_PROTOCOL = re.compile(r"\b(?:study protocol|trial protocol|protocol for|protocol of|a protocol|"
                       r"rationale and design|design and rationale|statistical analysis plan)\b")
_PUBTYPE_KINDS = {"published erratum": "erratum", "erratum": "erratum", "retraction of publication": "retraction",
                  "comment": "comment", "expression of concern": "concern"}


def notice_kind(raw_title: str, folded_title: str, pubtypes: Sequence[str] = ()) -> str:
    """'' for an ordinary paper, else erratum / retraction / concern / reply / comment / protocol."""
    head = raw_title.lstrip(" \"'[")[:60]
    for kind, pattern in _PREFIX_KINDS:
        if pattern.match(head):
            return kind
    if folded_title.endswith((" reply", " authors reply")):
        return "reply"
    if ("protocol" in folded_title or "rationale" in folded_title or "plan" in folded_title) and \
            _PROTOCOL.search(folded_title):
        return "protocol"
    if "(" in raw_title and _CORRECTION_OF.search(raw_title):
        return "erratum"
    for pubtype in pubtypes:
        kind = _PUBTYPE_KINDS.get(pubtype.strip().lower(), "")
        if kind:
            return kind
    return ""


_JOURNAL_STOP = frozenset({"the", "of", "and", "for", "in", "on", "de", "la", "le", "der", "und", "des", "du",
                           "et", "a", "an", "official", "journal", "j"})
# Where the main title of a journal ends: a subtitle, a parallel title ("= ..."), Embase's ". Conference: ...",
# a "[Electronic Resource]" note, or a second title glued on with a period ("cancer.Journal international").
_JOURNAL_MAIN = re.compile(r"\s*(?::|=|\[|\(|\.\s*conference\b|(?<=[a-z]{3})\.(?=[A-Za-z])|\.\s+(?=[A-Z][a-z]{3}))",
                           re.IGNORECASE)


@lru_cache(maxsize=1 << 14)
def journal_tokens(journal: str) -> str:
    """Significant folded words of a journal name ('J' and 'Journal' dropped: abbreviations vary on them)."""
    return " ".join(w for w in fold(journal).split() if w not in _JOURNAL_STOP)


@lru_cache(maxsize=1 << 14)
def journal_main(journal: str) -> str:
    """:func:`journal_tokens` of the main title only ("Diabetes. Conference: 70th Scientific..." -> 'diabetes')."""
    match = _JOURNAL_MAIN.search(journal)
    return journal_tokens(journal[: match.start()] if match and match.start() > 0 else journal)


NO_AUTHOR = frozenset({"others", "anonymous", "anon", "etal", "na", "unknown"})


def surname(author_family: str, literal: str) -> str:
    """Folded surname without spaces or hyphens ('van Rijswijk' -> 'vanrijswijk', 'Maheux-Lacroix')."""
    return fold(literal or author_family).replace(" ", "")


_PAGE_START = re.compile(r"^[\s\"']*[A-Za-z]{0,3}\s?(\d+)")


_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
# a range a spreadsheet read as a date and wrote back ("1-6" -> "01-Jun", "Jun-01"): no page numbers left
_SPREADSHEET_DATE = re.compile(rf"(?i)^\s*(\d{{1,2}}\s*-+\s*({_MONTHS})[a-z]*|({_MONTHS})[a-z]*\s*-+\s*\d{{1,2}})\s*$")


def spreadsheet_date(pages: str) -> bool:
    """Pages that a spreadsheet turned into a day and month ("01--Jun" for "1-6"): compared only with pages
    damaged the same way (against real pages they tell nothing)."""
    return bool(_SPREADSHEET_DATE.match(pages))


def first_page(pages: str) -> str:
    """The first page's digits: 'S12--S15' -> '12', 'e0193972' -> '193972'; '' when it has no digits up front.

    Prefix letters are dropped because sources disagree on them ("c37" / "37", "e12724" / "12724").
    """
    match = _PAGE_START.match(pages)
    return match.group(1).lstrip("0") if match else ""


_PAGE_END = re.compile(r"(\d+)\s*$")


def last_page(pages: str) -> str:
    """The last page's digits of a range ('2097--2108' -> '2108'), '' for a single page or none."""
    if "-" not in pages:
        return ""
    match = _PAGE_END.search(pages)
    return match.group(1).lstrip("0") if match else ""


_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}/\S+")


def doi_key(raw: str) -> str:
    """The comparison form of a DOI found anywhere in the text ('Doi 10.1016/...', URL, percent-encoded)."""
    if not raw:
        return ""
    text = unquote(raw) if "%" in raw else raw
    match = _DOI_IN_TEXT.search(text)
    return match.group(0).rstrip(".,;").lower() if match else ""


_DOI_VERSION = re.compile(r"[./]v?\d{1,2}$")


def doi_version_base(key: str) -> str:
    """A :func:`doi_key` without a trailing version ('10.12688/wellcomeopenres.14677.2' -> '...14677').

    Only meaningful between records that PubMed already calls one article (the same PMID): F1000-style journals
    give each version of an article its own DOI, and PubMed lists every version under the article's PMID.
    """
    return _DOI_VERSION.sub("", key)


# Titles that do not identify an item on their own: a journal prints one in every issue ("Editorial",
# "In this issue", "Correction", "Reply", "Addresses of authors") or a society every year ("Meeting abstracts").
# A title+year+author match of such titles needs the same journal, volume and first page.
_GENERIC = re.compile(
    r"^(?:(?:an? |the )?(?:editorial|editorial (?:comments?|notes?)|(?:message )?from the (?:president|editors?|chair)|"
    r"president s (?:message|column|letter)|editor s (?:note|notes|comments?|introduction|column|corner|letter|page)|"
    r"from the editors?|letters? to the editor|letters?|in this issue|this issue|contents?|table of contents|"
    r"index|indexes|author index|subject index|preface|foreword|introduction|prologue|epilogue|news|notes?|"
    r"announcements?|official announcements|calendar|obituary|in memoriam|book reviews?|reviews?|errat(?:um|a)|"
    r"corrigend(?:um|a)|corrections?|correction notice|retraction(?: notice)?|notice of retraction|reply|"
    r"authors? reply|response|comments?|commentary|discussion|abstracts?|meeting abstracts?|conference abstracts?|"
    r"poster abstracts?|oral abstracts?|proceedings|acknowledg(?:e)?ments?|reviewers|thank you to our reviewers|"
    r"addresses(?: of [a-z ]+)?|masthead|cover|front matter|back matter|information for authors|"
    r"instructions (?:to|for) authors|highlights|summary|abstract|untitled|no title)"
    r"(?: \d+)?)$")


def generic_title(folded_title: str) -> bool:
    """A title that names a kind of item, not an item ("editorial", "correction", "in this issue" ...)."""
    return bool(_GENERIC.match(folded_title))


# A language edition of a journal is another journal: the Spanish original and its "(English ed.)"
_EDITION = re.compile(r"\b(?:engl(?:ish)? ed(?:ition)?|english language edition|ed(?:icion|icao)? (?:en )?"
                      r"(?:ingles|inglesa|espanol|espanola|english)|international edition|german edition|"
                      r"french edition|chinese edition)\b")


def journal_edition(journal: str) -> str:
    """The language edition a journal name states ('Med Intensiva (Engl Ed)' -> 'english'), else ''."""
    match = _EDITION.search(fold(journal)) if journal else None
    if not match:
        return ""
    text = match.group(0)
    for language in ("espanol", "german", "french", "chinese", "international"):
        if language in text:
            return language
    return "english"


_VENUES = {"inproceedings": "conference", "conference": "conference", "article": "journal",
           "techreport": "report", "report": "report", "book": "book", "mvbook": "book", "phdthesis": "thesis",
           "mastersthesis": "thesis", "thesis": "thesis", "proceedings": "proceedings volume"}


def venue_kind(entry_type: str) -> str:
    """What kind of publication an entry type names: conference (paper), journal (article), report, book,
    thesis, proceedings volume; '' for types that say nothing certain (misc, chapters, online ...)."""
    return _VENUES.get(entry_type.lower(), "")


_ISBN_CHARS = re.compile(r"[^0-9Xx]")


def isbn_keys(text: str) -> frozenset[str]:
    """The ISBNs in a field, each as ISBN-13 digits ('3-487-07827-9' -> '9783487078274')."""
    found = set()
    for part in re.split(r"[,;/]|\s(?=\d)", text):
        digits = _ISBN_CHARS.sub("", part).upper()
        if len(digits) == 10:
            core = "978" + digits[:9]
            check = (10 - sum(int(d) * (1 if n % 2 == 0 else 3) for n, d in enumerate(core)) % 10) % 10
            found.add(core + str(check))
        elif len(digits) == 13 and digits.isdecimal():
            found.add(digits)
    return frozenset(found)


_DIGITS = re.compile(r"\d+")


_SUPPLEMENT = re.compile(r"^(?:suppl?|supplement|supp|s|spec|special|special issue)$")


def issue_key(text: str) -> str:
    """:func:`volume_key` for issues, where a bare 'Suppl' (no number) says nothing: '' like a missing issue.

    One source gives "SUPPL", another "Suppl 2" for the same supplement.
    """
    key = volume_key(text)
    return "" if _SUPPLEMENT.match(key) else key


def volume_number(text: str) -> str:
    """:func:`volume_key` for volumes: digits only; '' for text without any ("(Jul)", "Ph.D."), which is no volume."""
    key = volume_key(text)
    return key if key.isdecimal() else ""


_PAGE_RANGES = re.compile(r"[,;+]")


def page_set(pages: str) -> frozenset[str]:
    """First pages of every range when a source lists several ("233--238, 230--235, 246--251": one article
    printed in three languages, each source ordering them differently); empty for a single range."""
    if not _PAGE_RANGES.search(pages):
        return frozenset()
    found = frozenset(p for p in (first_page(part.strip()) for part in _PAGE_RANGES.split(pages)) if p)
    return found if len(found) > 1 else frozenset()


def volume_key(text: str) -> str:
    """Volume or issue digits ('Suppl 2' -> '2', '030' -> '30'); the folded text when it has no digits."""
    if text.isdecimal():
        return text.lstrip("0")
    match = _DIGITS.search(text)
    return match.group(0).lstrip("0") if match else fold(text)
