"""Normalization rules shared by every reader (files, PubMed, Crossref): pure functions, each tested on its own.

Why one module: the importer matches records on identifiers and on normalized title/year/author, and keys are
derived from names and titles, so every source must produce the same text for the same study. Rules:

* names: ``Family, Given`` / ``Given Family`` / Vancouver ``Family GM`` -> :class:`Author`; particles ("van",
  "de", "von" ...) stay in the family name; collective authors (groups, societies, committees) stay whole;
  bare initials get dots ("DK" -> "D. K."); ALL-CAPS family names are recased ("DE BRUIN" -> "de Bruin").
* titles: HTML entities decoded, inline tags dropped, whitespace collapsed, one trailing period removed
  (MEDLINE adds it) unless it ends an abbreviation ("U.S.", "et al.").
* abstracts: structured sections ("BACKGROUND: ... METHODS: ...") become "LABEL: text" paragraphs separated
  by a blank line.
* pages: ranges use ``--`` and abbreviated ends are expanded ("561-7" -> "561--567"); article numbers
  ("e0193972") are kept as they are.
* months: full English names ("Feb", "02", "2" -> "February"), as the store's month macros expand;
  a range ("Jul-Aug") keeps its first month; anything else is kept as given.
* years: the first plausible four-digit year; languages: ISO 639-1 codes where one exists, else ISO 639-2.
* identifiers: DOI without URL prefix (case kept), PMID digits, PMCID "PMC..."; an invalid value is kept
  as given (``Record.identifier_problems()`` reports it), never dropped.
"""

from __future__ import annotations

import html
import re
import sys
import unicodedata
from dataclasses import replace
from functools import lru_cache

from .identifiers import InvalidIdentifier, normalize_doi, normalize_pmcid, normalize_pmid
from .model import Author, Record
from .names import name_suffix

__all__ = [
    "MONTHS", "ascii_fold", "is_collective_name", "normalize_abstract", "normalize_issn", "normalize_journal",
    "normalize_language", "normalize_month", "normalize_pages", "normalize_person_name", "normalize_record",
    "normalize_text", "normalize_title", "normalize_year", "parse_date", "parse_person_name", "section_pages",
    "strip_tags",
]

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_MONTH_WORDS = {m.lower(): i for i, m in enumerate(MONTHS, 1)}
_MONTH_WORDS.update({m[:3].lower(): i for i, m in enumerate(MONTHS, 1)})
_MONTH_WORDS.update({"sept": 9, "janv": 1, "févr": 2, "mär": 3, "mrz": 3, "mai": 5, "okt": 10, "dez": 12})


# ISO 639-1 code: ISO 639-2 (B/T) codes and names used by MEDLINE, RIS, CSL, BibLaTeX/babel ``langid``
_LANGUAGE_TABLE = """
en eng english american british australian canadian UKenglish USenglish|fr fre fra french français francais
de ger deu german ngerman deutsch austrian naustrian swissgerman|es spa spanish español espanol castellano
it ita italian italiano|pt por portuguese português brazilian portuges brazil|nl dut nld dutch nederlands flemish
ru rus russian|zh chi zho chinese mandarin|ja jpn japanese|ko kor korean|pl pol polish polski|sv swe swedish
da dan danish|no nor norwegian norsk nob nno bokmal nynorsk|fi fin finnish|cs cze ces czech|sk slo slk slovak
hu hun hungarian magyar|el gre ell greek polutonikogreek|tr tur turkish|he heb hebrew|ar ara arabic
fa per fas persian farsi|hi hin hindi|th tha thai|vi vie vietnamese|id ind indonesian bahasa|ms may msa malay
ro rum ron romanian|bg bul bulgarian|hr hrv croatian|sr srp serbian|sl slv slovene slovenian|uk ukr ukrainian
lt lit lithuanian|lv lav latvian|et est estonian|is ice isl icelandic|ca cat catalan|eu baq eus basque
gl glg galician|af afr afrikaans|sq alb sqi albanian|hy arm hye armenian|ka geo kat georgian
mk mac mkd macedonian|bs bos bosnian|cy wel cym welsh|ga gle irish|eo epo esperanto|la lat latin
ur urd urdu|bn ben bengali|ta tam tamil|ml mal malayalam|sw swa swahili|tl tgl tagalog filipino
"""
LANGUAGE_CODES = {alias.lower(): group.split()[0] for group in _LANGUAGE_TABLE.replace("\n", "|").split("|")
                  if group.strip() for alias in group.split()}
_TAG = re.compile(r"</?(?:[a-z]+:)?(?:i|b|u|em|strong|sup|sub|sc|scp|span|italic|bold|underline|p|br|title|sec|"
                  r"list|list-item|inline-formula|math|mi|mo|mn|mrow|msub|msup|mtext|mfrac|mstyle|styled-content|"
                  r"named-content|xref|label|a|font|small|abbr|break)\b[^<>]*/?>", re.IGNORECASE)


def normalize_text(text: str) -> str:
    """Whitespace collapsed and trimmed; HTML entities decoded."""
    if "&" in text:
        text = html.unescape(text)
    if "  " in text:
        return _collapse(text)
    if ("\n" in text or "\t" in text or "\r" in text or "\xa0" in text or "\u2009" in text
            or text[:1].isspace() or text[-1:].isspace()):
        return " ".join(text.split())
    return text


def _collapse(text: str) -> str:
    """``" ".join(text.split())``; ASCII text whose only whitespace is spaces (two after a sentence end, say)
    is collapsed by replacing, which costs one copy instead of a string per word."""
    if (text.isascii() and text[:1] != " " and text[-1:] != " " and "\n" not in text and "\t" not in text
            and "\r" not in text and "\x0b" not in text and "\x0c" not in text and "\x1c" not in text
            and "\x1d" not in text and "\x1e" not in text and "\x1f" not in text):
        while "  " in text:
            text = text.replace("  ", " ")
        return text
    return " ".join(text.split())


def strip_tags(text: str) -> str:
    """Inline markup (HTML, JATS, MathML) removed, text kept: "CO<sub>2</sub>" -> "CO2"."""
    return _TAG.sub("", text) if "<" in text else text


_ABBREV_LAST = ("l", "c", "s", "p", ".")
_ABBREV_END = re.compile(r"(?:\b[A-Za-z]\.[A-Za-z]\.|\bet al\.|\betc\.|\bvs\.|\bspp?\.|\.\.)$")


def normalize_title(text: str) -> str:
    """A title as people read it: no markup, single spaces, no trailing period (but "?" and "!" stay)."""
    text = normalize_text(strip_tags(text))
    # the longest abbreviation is 7 characters ("et al."): the last 12 give every \b its real left neighbour,
    # and searching them instead of the whole title avoids trying the pattern at every position
    # (each abbreviation has "." two characters from the end or ends in l/c/s/p/. before its period)
    if text.endswith(".") and not ((text[-3:-2] == "." or text[-2:-1] in _ABBREV_LAST)
                                   and _ABBREV_END.search(text[-12:])):
        text = text[:-1].rstrip()
    return text


# an all-caps section label at the start of the text or after a sentence end: "BACKGROUND:", "MATERIALS AND
# METHODS:", "TRIAL REGISTRATION:" (capital letters, optional words, a colon and a space)
_LABEL_PATTERN = r"[A-Z]{2}[A-Z0-9 ,&/()'-]*[A-Z)]: (?=\S)"
_LABEL = re.compile(_LABEL_PATTERN)
# one scan instead of a match after each ". " (the pattern consumes only the ". ", so every one is tried)
_LABEL_AFTER_SENTENCE = re.compile(r"\. (?=" + _LABEL_PATTERN + ")")
_PARAGRAPH_TAG = re.compile(r"</?(?:[a-z]+:)?(?:p|sec|list-item)\b[^<>]*>", re.IGNORECASE)
_TITLE_TAG = re.compile(r"<(?:[a-z]+:)?title\b[^<>]*>(.*?)</(?:[a-z]+:)?title>\s*(?:<(?:[a-z]+:)?p\b[^<>]*>)?",
                        re.IGNORECASE | re.DOTALL)


def _label_starts(paragraph: str) -> list[int]:
    """Offsets where an all-caps "LABEL: " starts the paragraph or a sentence (checked after each ". ")."""
    starts = [0] if _LABEL.match(paragraph) else []
    starts.extend(match.end() for match in _LABEL_AFTER_SENTENCE.finditer(paragraph))
    return starts


def normalize_abstract(text: str) -> str:
    """Paragraphs separated by one blank line; structured abstracts as "LABEL: text" paragraphs."""
    if not text or text.isspace():
        return ""
    if "<" in text:
        text = _TITLE_TAG.sub(lambda m: "\n\n" + m.group(1).strip().rstrip(":") + ": ", text)
        text = _PARAGRAPH_TAG.sub("\n\n", text)
        text = strip_tags(text)
    parts = _BLANK_LINE.split(text.replace("\r\n", "\n")) if "\n" in text else [text]
    paragraphs = [normalize_text(p) for p in parts]
    out: list[str] = []
    for paragraph in paragraphs:
        if not paragraph:
            continue
        labels = _label_starts(paragraph) if ": " in paragraph else []
        if len(labels) >= 2:
            cuts = [start for start in labels if start > 0]
            pieces = [paragraph[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(paragraph)], strict=True)]
            out.extend(p for p in pieces if p)
        else:
            out.append(paragraph)
    # "BACKGROUND:" alone in a paragraph followed by its text in the next one (some XML sources)
    merged: list[str] = []
    for paragraph in out:
        if merged and merged[-1].endswith(":") and _LONE_LABEL.fullmatch(merged[-1]):
            merged[-1] = f"{merged[-1]} {paragraph}"
        else:
            merged.append(paragraph)
    return "\n\n".join(merged)


# --- pages ----------------------------------------------------------------------------------------------------
_BLANK_LINE = re.compile(r"\n\s*\n")
_LONE_LABEL = re.compile(r"[^.:]{1,60}:")
_MONTH_SPLIT = re.compile(r"[\s./,\-–]+")
_WORDS = re.compile(r"[A-Za-zéäû]+")
_LANGUAGE_SPLIT = re.compile(r"[;,/]")
_LOCALE_SPLIT = re.compile(r"[-_ ]")
_SLASH_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})/?$")
_DASHES = re.compile(r"\s*(?:-{1,3}|[\u2010-\u2015\u2212]|\bto\b)\s*")
# not after a period: in "819.e1-819.e6" the "e1" is a sub-page of page 819, not the first page of a range
_NUM_RANGE = re.compile(r"(?<!\.)\b([A-Za-z]{0,3})(\d+)\s*(?:-{1,3}|[\u2010-\u2015\u2212])\s*([A-Za-z]{0,3})(\d+)\b")
# the commonest shape, "561-7" / "1535-1541", handled as _NUM_RANGE would (same groups: no prefixes)
_SIMPLE_RANGE = re.compile(r"()([0-9]+)-()([0-9]+)")
_SECTION_PAGE = r"[A-Za-z]{0,3}([0-9]+)-([0-9]+)"  # "S21-1": page 1 of section S21
_SECTION_PAGES = re.compile(f"{_SECTION_PAGE}--{_SECTION_PAGE}")
_ONE_SECTION_PAGE = re.compile(_SECTION_PAGE)
_ROMAN_RANGE = re.compile(r"\b([ivxlcdm]+)\s*(?:-{1,3}|[\u2010-\u2015\u2212])\s*([ivxlcdm]+)\b", re.IGNORECASE)


def section_pages(text: str) -> bool:
    """'S21-1--S21-8': a range of pages numbered within a section, kept as it is."""
    return _SECTION_PAGES.fullmatch(text) is not None


def _section_page(text: str) -> bool:
    """'S21-1', '123-3': what :func:`_page_range` keeps as a page numbered within a section."""
    match = _ONE_SECTION_PAGE.fullmatch(text)
    if not match:
        return False
    start, end = match.groups()
    return len(end) < len(start) and start[: len(start) - len(end)] + end == start


def _page_range(match: re.Match[str]) -> str:
    prefix, start, prefix2, end = match.groups()
    if prefix2 and prefix and prefix2.lower() != prefix.lower():
        return match.group(0).replace(" ", "")  # "A1-B2": two different series, not a range to expand
    if len(end) < len(start) and not prefix2:
        expanded = start[: len(start) - len(end)] + end
        if expanded == start and _section_page(match.group(0)):  # "S21-1": a page numbered within a section
            return match.group(0)
        if int(expanded) >= int(start):
            end = expanded
    return f"{prefix}{start}--{prefix2 or prefix}{end}"


def normalize_pages(text: str) -> str:
    """'561-7' -> '561--567', '1535–41' -> '1535--1541', 'S12-5' -> 'S12--S15'; 'e0193972' kept; pages numbered
    within a section kept as they are ('S21-1', 'S21-1--S21-8')."""
    text = normalize_text(text)
    if not text:
        return ""
    if text.isalnum():  # a page or article number: no dash, nothing to expand
        return text
    if section_pages(text):
        return text
    simple = _SIMPLE_RANGE.fullmatch(text)
    if simple:  # "561-7": what _NUM_RANGE does to it, without the three regex passes
        return _page_range(simple)
    out = _NUM_RANGE.sub(_page_range, text)
    out = _ROMAN_RANGE.sub(lambda m: f"{m.group(1)}--{m.group(2)}", out)
    if (out == text and "--" not in out and _DASHES.search(out) and re.fullmatch(r"\S+\s*[-–—]\s*\S+", out)
            and not _section_page(out)):
        left, right = _DASHES.split(out, maxsplit=1)
        out = f"{left}--{right}"
    return out


# --- dates ----------------------------------------------------------------------------------------------------
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2[01]\d\d)(?!\d)")


def normalize_year(value: str | int | None) -> int | None:
    """The first plausible year (1500-2199) in the text, or None."""
    if value is None:
        return None
    if isinstance(value, int):
        return value if 1500 <= value <= 2199 else None
    if len(value) == 4 and value.isdecimal() and value.isascii():  # "2018": the only candidate is the whole text
        year = int(value)
        return year if 1500 <= year <= 2199 else None
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None


def normalize_month(text: str) -> str:
    """A month as its English name; numbers 1-12 and names/abbreviations in any case; else the text kept."""
    raw = normalize_text(str(text))
    if not raw:
        return ""
    token = _MONTH_SPLIT.split(raw.strip(" ./"), maxsplit=1)[0].lower()
    if token.isdecimal() and 1 <= int(token) <= 12:
        return MONTHS[int(token) - 1]
    number = _MONTH_WORDS.get(token) or _MONTH_WORDS.get(token[:3] if len(token) > 3 else "")
    if number and (len(token) <= 4 or token in _MONTH_WORDS or MONTHS[number - 1].lower().startswith(token)):
        return MONTHS[number - 1]
    return raw


_NUMERIC_DATE = re.compile(r"^\s*(\d{4})(?:[/\-.](\d{1,2}))?(?:[/\-.](\d{1,2}))?")


@lru_cache(maxsize=65536)
def parse_date(text: str) -> tuple[int | None, str]:
    """(year, month) from '2001/09/01/', '2020-02-03', '2020 Feb', '2019 Mar 25', 'Feb 2020', '1948/07//'."""
    text = normalize_text(text)
    if not text:
        return None, ""
    numeric = _NUMERIC_DATE.match(text)
    if numeric:
        year = normalize_year(numeric.group(1))
        month = numeric.group(2)
        if month and 1 <= int(month) <= 12:
            return year, MONTHS[int(month) - 1]
        rest = text[numeric.end():]
    else:
        year = normalize_year(text)
        rest = _YEAR.sub(" ", text)
    for word in _WORDS.findall(rest):
        month = normalize_month(word)
        if month in MONTHS:
            return year, month
    return year, ""


# --- names ----------------------------------------------------------------------------------------------------
_COLLECTIVE = re.compile(
    r"\b(?:group|groups|society|committee|organi[sz]ation|association|collaborat\w*|consortium|investigators|"
    r"college|institute|council|agency|network|foundation|federation|working|task force|department|"
    r"university|trialists?|team|panel|board|centres?|centers?|academy|ministry|commission|union|authors|"
    r"study|program+e?|initiative|coalition|alliance|registry|office|services|inc|ltd|gmbh|world)\b",
    re.IGNORECASE)
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "del", "della", "dei", "di", "da", "dos", "das", "do",
                        "du", "la", "le", "ter", "ten", "te", "zu", "zur", "af", "av", "y", "el", "al", "bin",
                        "ibn", "'t", "'s", "op", "het", "in"})
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")


# bodies that publish under their acronym alone (a person's name in capitals, "SMITH", is not on this list)
_BODIES = frozenset({"WHO", "NICE", "ACOG", "ASRM", "ESHRE", "RCOG", "SOGC", "FIGO", "ISUOG", "CDC", "FDA", "EMA",
                     "NIH", "NHS", "AHRQ", "USPSTF", "UNICEF", "UNFPA", "ICRP", "IAEA", "ACR", "ESUR", "AAGL",
                     "ESGE", "RANZCOG", "NCCN", "ACS", "AMA", "AAP", "ICMJE"})
# "Centers for Disease Control and Prevention": four words or more joined by "for" / "of" / "and" / "on" / "the"
_JOINED_NAME = re.compile(r"^\S+(?: \S+)*? (?:for|of|and|on|the)(?: \S+){2,}$")


def is_collective_name(text: str) -> bool:
    """A group author ("WHO Collaborating Centre", "ESHRE Capri Workshop Group", "NICE", "Centers for Disease
    Control and Prevention"), not a person."""
    if "," not in text and (text.strip() in _BODIES or _JOINED_NAME.match(text.strip())):
        return True
    return bool(_COLLECTIVE.search(text)) and (len(text.split()) >= 2 or "," not in text)


def _recase(word: str) -> str:
    """'MAHEUX-LACROIX' -> 'Maheux-Lacroix', "O'CONNOR" -> "O'Connor", particles lower case."""
    if word.lower() in _PARTICLES:
        return word.lower()
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word)


_GIVEN_FIX = re.compile(r"[A-Z]\.[A-Z]|(?<![\w.'’-])[A-Z](?![\w.'’-])")
_DOTTED = re.compile(r"(?<=[A-Z]\.)(?=[A-Z])")
_BARE_INITIAL = re.compile(r"(?<![\w.'’-])([A-Z])(?![\w.'’-])")


def _given(given: str) -> str:
    given = normalize_text(given)
    if not given:
        return ""
    if len(given) <= 3 and given.isalpha() and given.isupper():  # Vancouver initials "DK"
        return " ".join(f"{c}." for c in given)
    if _GIVEN_FIX.search(given) is None:
        return given
    # "J.J." -> "J. J.", "J.-P." kept; single capital letters get a period: "Darren K" -> "Darren K."
    given = _DOTTED.sub(" ", given)
    return _BARE_INITIAL.sub(lambda m: m.group(1) + ".", given)


@lru_cache(maxsize=65536)
def normalize_person_name(author: Author) -> Author:
    """Spacing, initials and ALL-CAPS repair of one author; collective names only get whitespace fixed."""
    if author.literal:
        literal = normalize_text(author.literal)
        return author if literal == author.literal else replace(author, literal=literal)
    family = normalize_text(author.family)
    # (ASCII text that is not isupper() has a lower-case letter or no letter: neither rule below applies)
    if not (family.isascii() and not family.isupper()):
        letters = [c for c in family if c.isalpha()]
        if len(letters) >= 2 and all(c.isupper() for c in letters):
            family = " ".join(_recase(w) for w in family.split())
    given = _given(author.given)
    if given and not (given.isascii() and not given.isupper()) and all(
            c.isupper() or not c.isalpha() for c in given) and len([c for c in given if c.isalpha()]) > 3:
        given = " ".join(_recase(w) for w in given.split())  # "KIM" stays initials, "JOUKJE" -> "Joukje"
    suffix = name_suffix(author.suffix) or normalize_text(author.suffix) if author.suffix else ""
    if family == author.family and given == author.given and suffix == author.suffix:
        return author
    return Author(family, given, author.literal, author.orcid, suffix)  # what replace() builds, without its overhead


_COMMA_INITIALS = re.compile(r"[A-Z][a-z]?\.?(?:[ -]?[A-Z][a-z]?\.?)*")  # "A.", "V", "Yu" (Ю)


def _given_and_suffix(text: str) -> tuple[str, str]:
    """(given, suffix) of what follows a family name and its comma: 'F.R., III' (RIS, Scopus) and 'Jr, John'
    (BibTeX's order) -> the suffix apart; a lone 'Jr', 'III' or '3rd' is a suffix, a lone 'II' or 'IV' initials;
    a comma before initials only separates them ('A., V' -> 'A. V', 'Jan W., V' -> 'Jan W. V')."""
    if "," in text:
        head, _, last = text.rpartition(",")
        suffix = name_suffix(last)
        if suffix:
            return head.strip(), suffix
        first, _, rest = text.partition(",")
        suffix = name_suffix(first)
        if suffix:
            return rest.strip(), suffix
        parts = [part.strip() for part in text.split(",")]
        if all(_COMMA_INITIALS.fullmatch(part) for part in parts[1:]):  # WoS "A., V", "Jan W., V": initials
            return " ".join(parts), ""
        return text, ""
    suffix = name_suffix(text)
    return ("", suffix) if suffix and suffix.rstrip(".") not in ("II", "IV") else (text, "")


@lru_cache(maxsize=65536)
def parse_person_name(text: str) -> Author:
    """A name as sources write it: 'Dreyer, Kim', 'Dreyer K', 'Kim Dreyer', 'van Rijswijk J', 'WHO'."""
    written = normalize_text(text)
    text = written.strip(",;")
    if not text:
        return Author()
    if text.startswith("{") and text.endswith("}"):
        return Author(literal=normalize_text(text[1:-1]))
    if is_collective_name(text):
        return Author(literal=text)
    if "," in text:
        family, given = (part.strip() for part in text.split(",", 1))
        if not family:
            return normalize_person_name(Author(family=given))
        given, suffix = _given_and_suffix(given)
        return normalize_person_name(Author(family=family, given=given, suffix=suffix))
    words = text.split()
    if written.rstrip().endswith(",") and len(words) > 1 and not any(_INITIALS.match(w) for w in words):
        return normalize_person_name(Author(family=text))  # "Van Dung,": a family name, its given name left empty
    if len(words) >= 3 and name_suffix(words[-1]) and (
            not words[-1].upper().startswith("I") or _INITIALS.match(words[-2])):  # "Gibb FW Jr", "Smith JA III"
        return replace(parse_person_name(" ".join(words[:-1])), suffix=name_suffix(words[-1]))
    if len(words) == 1:
        return normalize_person_name(Author(family=words[0]))
    if _INITIALS.match(words[-1]) and not _INITIALS.match(words[0]):  # Vancouver: "Mol BW", "van Rijswijk J"
        return normalize_person_name(Author(family=" ".join(words[:-1]), given=words[-1]))
    start = next((i for i, w in enumerate(words[:-1]) if i > 0 and w.lower() in _PARTICLES and w.islower()),
                 len(words) - 1)
    return normalize_person_name(Author(family=" ".join(words[start:]), given=" ".join(words[:start])))


# --- journals, languages, ISSN --------------------------------------------------------------------------------
_SMALL_WORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to",
                          "with", "de", "der", "des", "du", "et", "für", "la", "le", "und"})


def _title_case(text: str) -> str:
    words = text.lower().split(" ")
    return " ".join(w if i and w in _SMALL_WORDS else _recase(w) for i, w in enumerate(words))


def normalize_journal(full: str, abbrev: str = "") -> tuple[str, str]:
    """(journal, abbreviation): text cleaned, ALL-CAPS names recased, no abbreviation equal to the name."""
    full = normalize_text(strip_tags(full)).rstrip(".") if full else ""
    abbrev = normalize_text(abbrev) if abbrev else ""
    if full and len(full) > 12 and full.isupper():
        full = _title_case(full)
    if not full and abbrev:
        full, abbrev = abbrev, ""
    if abbrev and abbrev.casefold() == full.casefold():
        abbrev = ""
    return full, abbrev


def normalize_language(text: str) -> str:
    """ISO 639-1 code where one exists ('eng', 'English', 'en-US', 'ngerman' -> 'en'/'de'), else 639-2."""
    raw = normalize_text(text)
    if not raw:
        return ""
    token = _LANGUAGE_SPLIT.split(raw, maxsplit=1)[0].strip().lower()
    code = LANGUAGE_CODES.get(token) or LANGUAGE_CODES.get(_LOCALE_SPLIT.split(token, maxsplit=1)[0])
    if code:
        return code
    if re.fullmatch(r"[a-z]{2,3}", token):
        return token
    return raw


_ISSN = re.compile(r"\b(\d{4})-?(\d{3}[\dXx])\b")


def normalize_issn(text: str) -> str:
    """'20964129 (ISSN)' -> '2096-4129'; several ISSNs -> '1878-0849, 1769-7212' (duplicates dropped)."""
    found = [f"{a}-{b.upper()}" for a, b in _ISSN.findall(text)]
    return ", ".join(dict.fromkeys(found)) if found else normalize_text(text)


# --- whole records --------------------------------------------------------------------------------------------
def _identifier(value: str, normalize: object) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        return normalize(value)  # type: ignore[operator,no-any-return]
    except InvalidIdentifier:
        return value


# Values that recur across records (people, journals, MeSH terms, publication types, languages, months, ISSNs)
# are normalized once per process: the caches below map a raw value to its normalized form. Each is a plain
# dict (a lookup costs less than the call of an lru_cache wrapper) emptied when it reaches _CACHE_SIZE entries.
_CACHE_SIZE = 1 << 16
_PEOPLE: dict[tuple[str, str, str, str, str], Author] = {}
_TERMS: dict[str, str] = {}
_JOURNALS: dict[tuple[str, str], tuple[str, str]] = {}
_SMALL: dict[tuple[str, str], str] = {}  # (kind, raw) -> normalized, for month / language / ISSN


_normalize_person = normalize_person_name.__wrapped__  # _PEOPLE is the cache here


def _people(authors: list[Author]) -> list[Author]:
    """normalize_person_name over a list, nameless entries dropped; cached on the field values."""
    out = []
    cache = _PEOPLE
    for author in authors:
        key = (author.family, author.given, author.literal, author.orcid, author.suffix)
        person = cache.get(key)
        if person is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            person = cache[key] = _normalize_person(author)
        if person.family or person.literal:
            out.append(person)
    return out


def _unique(items: list[str]) -> list[str]:
    if not items:
        return []
    cache = _TERMS
    out: dict[str, None] = {}
    for item in items:
        cleaned = cache.get(item)
        if cleaned is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cleaned = cache[item] = normalize_text(item)
        if cleaned:
            out[cleaned] = None
    return list(out)


def _journal(full: str, abbrev: str) -> tuple[str, str]:
    key = (full, abbrev)
    found = _JOURNALS.get(key)
    if found is None:
        if len(_JOURNALS) >= _CACHE_SIZE:
            _JOURNALS.clear()
        found = _JOURNALS[key] = normalize_journal(full, abbrev)
    return found


_SMALL_RULES = {"month": normalize_month, "language": normalize_language, "issn": normalize_issn}


def _small(kind: str, value: str) -> str:
    key = (kind, value)
    found = _SMALL.get(key)
    if found is None:
        if len(_SMALL) >= _CACHE_SIZE:
            _SMALL.clear()
        found = _SMALL[key] = _SMALL_RULES[kind](value)
    return found


_PMC_URL = re.compile(r"ncbi\.nlm\.nih\.gov/pmc/articles/PMC(\d+)|pmc\.ncbi\.nlm\.nih\.gov/articles/PMC(\d+)")
_PUBMED_URL = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/(\d+)/?(?:$|[?#])")


def normalize_record(record: Record, *, in_place: bool = False) -> Record:
    """A normalized copy of ``record`` (idempotent: normalizing twice changes nothing more).

    Readers that built the record themselves pass ``in_place=True`` to skip the copy. Empty fields are skipped
    (every rule maps "" to ""), and recurring values come from the caches above.
    """
    r = record if in_place else record.copy()
    r.entry_type = sys.intern(r.entry_type.strip().lower()) or "misc"  # one string per type, not per record
    if r.authors:
        r.authors = _people(r.authors)
    if r.editors:
        r.editors = _people(r.editors)
    r.title = normalize_title(r.title) if r.title else ""
    if r.booktitle:
        r.booktitle = normalize_title(r.booktitle)
    if r.journal or r.journal_abbrev:
        r.journal, r.journal_abbrev = _journal(r.journal, r.journal_abbrev)
    if r.publisher:
        r.publisher = normalize_text(r.publisher)
    if r.year is not None:
        r.year = normalize_year(r.year)
    if r.month:
        r.month = _small("month", r.month)
    if r.volume:
        r.volume = normalize_text(r.volume)
    if r.issue:
        r.issue = normalize_text(r.issue)
    if r.pages:
        r.pages = normalize_pages(r.pages)
    if r.doi:
        r.doi = _identifier(r.doi, normalize_doi)
    if r.pmid:
        r.pmid = _identifier(r.pmid, normalize_pmid)
    if r.pmcid:
        r.pmcid = _identifier(r.pmcid, normalize_pmcid)
    r.issn = _small("issn", r.issn) if r.issn else ""
    if r.isbn:
        r.isbn = normalize_text(r.isbn)
    if r.url:
        r.url = r.url.strip()
    if r.url and not (r.pmid and r.pmcid):  # identifiers hidden in PubMed / PMC links
        pmc = _PMC_URL.search(r.url)
        pubmed = _PUBMED_URL.search(r.url)
        r.pmcid = r.pmcid or (f"PMC{pmc.group(1) or pmc.group(2)}" if pmc else "")
        r.pmid = r.pmid or (pubmed.group(1) if pubmed else "")
    if r.urldate:
        r.urldate = _SLASH_DATE.sub(lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", r.urldate.strip())
    if r.abstract:
        r.abstract = normalize_abstract(r.abstract)
    r.keywords = _unique(r.keywords)
    r.mesh = _unique(r.mesh)
    r.pubtypes = _unique(r.pubtypes)
    if r.language:
        r.language = _small("language", r.language)
    if r.note:
        r.note = normalize_text(r.note)
    return r


def ascii_fold(text: str) -> str:
    """'Mariëtte Ødegård' -> 'Mariette Odegard' (for keys and comparisons, never for stored text)."""
    text = text.translate(_FOLD)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


_FOLD = str.maketrans({"ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ł": "l",
                       "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "þ": "th", "ı": "i", "’": "'"})
