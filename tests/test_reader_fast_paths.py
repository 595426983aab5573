"""The readers' fast paths (issue #3's speed targets) give exactly what the plain readings give.

Each fast path is compared with a reference: the code it replaced (kept here, or still in the module for the
cases the fast path hands over) on the shared corpus, the project's fixtures and generated tricky inputs.
"""

from __future__ import annotations

import gc
import html
import io
import random
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from lxml import etree

from ingest.base import gc_paused
from ingest.readers import decode_text
from ingest.readers import pubmed_authors as pa
from ingest.readers import pubmed_record as pr
from ingest.readers import pubmed_xml as px
from ingest.readers import xml_text as xt
from ingest.readers.ris import ris_tags
from library import identifiers, latex, normalize
from library.model import Author

from .conftest import FIXTURES, corpus_files
from .ris_reference import records_by_line

# every character str.split() / str.isspace() / the regex \s treat as whitespace
WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]


# --- references: the readings the fast paths replaced -----------------------------------------------------------
# Each reference is self-contained (its own patterns, copied from the rules as they were before the fast paths), so
# the comparison goes through the modules' public functions only and does not lean on their internals.
ABBREV_END = re.compile(r"(?:\b[A-Za-z]\.[A-Za-z]\.|\bet al\.|\betc\.|\bvs\.|\bspp?\.|\.\.)$")
LABEL = re.compile(r"[A-Z]{2}[A-Z0-9 ,&/()'-]*[A-Z)]: (?=\S)")
LONE_LABEL = re.compile(r"[^.:]{1,60}:")
DASHES = re.compile(r"\s*(?:-{1,3}|[\u2010-\u2015\u2212]|\bto\b)\s*")
NUM_RANGE = re.compile(r"(?<!\.)\b([A-Za-z]{0,3})(\d+)\s*(?:-{1,3}|[\u2010-\u2015\u2212])\s*([A-Za-z]{0,3})(\d+)\b")
ROMAN_RANGE = re.compile(r"\b([ivxlcdm]+)\s*(?:-{1,3}|[\u2010-\u2015\u2212])\s*([ivxlcdm]+)\b", re.IGNORECASE)
YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2[01]\d\d)(?!\d)")
PARTICLES = frozenset({"van", "von", "de", "der", "den", "del", "della", "dei", "di", "da", "dos", "das", "do",
                       "du", "la", "le", "ter", "ten", "te", "zu", "zur", "af", "av", "y", "el", "al", "bin",
                       "ibn", "'t", "'s", "op", "het", "in"})


def ref_normalize_text(text: str) -> str:
    if "&" in text:
        text = html.unescape(text)
    if ("  " in text or "\n" in text or "\t" in text or "\r" in text or "\xa0" in text or "\u2009" in text
            or text[:1].isspace() or text[-1:].isspace()):
        return " ".join(text.split())
    return text


def ref_normalize_title(text: str) -> str:
    text = ref_normalize_text(normalize.strip_tags(text))
    if text.endswith(".") and not ABBREV_END.search(text):
        text = text[:-1].rstrip()
    return text


def ref_label_starts(paragraph: str) -> list[int]:
    starts = [0] if LABEL.match(paragraph) else []
    end = paragraph.find(". ")
    while end != -1:
        if LABEL.match(paragraph, end + 2):
            starts.append(end + 2)
        end = paragraph.find(". ", end + 2)
    return starts


def ref_abstract_paragraph(paragraph: str) -> str:
    """normalize_abstract of one paragraph without markup or line breaks: cut at each label found by
    ref_label_starts (when there are two or more), a label left alone joined to the text after it."""
    paragraph = normalize.normalize_text(paragraph)
    if not paragraph:
        return ""
    labels = ref_label_starts(paragraph) if ": " in paragraph else []
    pieces = [paragraph]
    if len(labels) >= 2:
        cuts = [start for start in labels if start > 0]
        pieces = [p for p in (paragraph[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(paragraph)],
                                                                       strict=True)) if p]
    merged: list[str] = []
    for piece in pieces:
        if merged and merged[-1].endswith(":") and LONE_LABEL.fullmatch(merged[-1]):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return "\n\n".join(merged)


def ref_page_range(match: re.Match[str]) -> str:
    prefix, start, prefix2, end = match.groups()
    if prefix2 and prefix and prefix2.lower() != prefix.lower():
        return match.group(0).replace(" ", "")
    if len(end) < len(start) and not prefix2:
        expanded = start[: len(start) - len(end)] + end
        if expanded == start and ref_section_page(match.group(0)):
            return match.group(0)
        if int(expanded) >= int(start):
            end = expanded
    return f"{prefix}{start}--{prefix2 or prefix}{end}"


def ref_section_page(text: str) -> bool:
    """'S21-1': letters, digits, one hyphen, fewer digits whose expansion is the first number itself."""
    match = re.fullmatch(r"[A-Za-z]{0,3}([0-9]+)-([0-9]+)", text)
    if not match:
        return False
    first, second = match.groups()
    return len(second) < len(first) and first[: len(first) - len(second)] + second == first


def ref_normalize_pages(text: str) -> str:
    text = ref_normalize_text(text)
    if not text:
        return ""
    if re.fullmatch(r"[A-Za-z]{0,3}[0-9]+-[0-9]+--[A-Za-z]{0,3}[0-9]+-[0-9]+", text):
        return text
    out = NUM_RANGE.sub(ref_page_range, text)
    out = ROMAN_RANGE.sub(lambda m: f"{m.group(1)}--{m.group(2)}", out)
    if (out == text and "--" not in out and DASHES.search(out) and re.fullmatch(r"\S+\s*[-–—]\s*\S+", out)
            and not ref_section_page(out)):
        left, right = DASHES.split(out, maxsplit=1)
        out = f"{left}--{right}"
    return out


def ref_normalize_year(value: str) -> int | None:
    match = YEAR.search(value)
    return int(match.group(1)) if match else None


def ref_clean(text: str) -> str:
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        return re.sub(r"\s+", " ", text).strip()
    return text.strip()


def ref_mesh(mesh_list: etree._Element) -> list[str]:
    headings = []
    for heading in mesh_list:
        parts: list[str] = []
        for term in heading:
            if term.tag == "DescriptorName" or (term.tag == "QualifierName" and parts):
                parts.append(("*" if term.get("MajorTopicYN") == "Y" else "") + xt.leaf_text(term))
        if parts:
            headings.append("/".join(parts))
    return headings


def ref_recase(word: str) -> str:
    if word.lower() in PARTICLES:
        return word.lower()
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word)


def ref_given(given: str) -> str:
    given = ref_normalize_text(given)
    if not given:
        return ""
    if len(given) <= 3 and given.isalpha() and given.isupper():
        return " ".join(f"{c}." for c in given)
    given = re.sub(r"(?<=[A-Z]\.)(?=[A-Z])", " ", given)
    return re.sub(r"(?<![\w.'’-])([A-Z])(?![\w.'’-])", lambda m: m.group(1) + ".", given)


def ref_normalize_person_name(author: Author) -> Author:
    if author.literal:
        literal = ref_normalize_text(author.literal)
        return author if literal == author.literal else Author(literal=literal, orcid=author.orcid)
    family = ref_normalize_text(author.family)
    letters = [c for c in family if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        family = " ".join(ref_recase(w) for w in family.split())
    given = ref_given(author.given)
    if given and all(c.isupper() or not c.isalpha() for c in given) and len([c for c in given if c.isalpha()]) > 3:
        given = " ".join(ref_recase(w) for w in given.split())
    if family == author.family and given == author.given:
        return author
    return Author(family=family, given=given, literal=author.literal, orcid=author.orcid)


def _strings(pieces: list[str], count: int, seed: int, longest: int = 12) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, longest))) for _ in range(count)]


# --- text rules -------------------------------------------------------------------------------------------------
TEXT_PIECES = [" ", "  ", "   ", "\n", "\t", "\r", "\xa0", "\u2009", "\u2002", "\u3000", "\x0b", "\x1c", "\x85",
               "&amp;", "&", "&nbsp;", "&#32;", "a", "b.", "é", "<i>", "</i>", "BACKGROUND: ", ". METHODS: ",
               "x", "U.S.", "et al", "etc", "vs", "spp", ".", "..", "1", "561", "-", "–", "7", "e0193972", "S12",
               "iii", "to", "2018", "1499", "２０１８", "Feb", ":", "(", ")"]


def test_text_rules_agree_with_their_references() -> None:
    for text in [*WHITESPACE, *(f"a{w}{w}b{w}" for w in WHITESPACE), *_strings(TEXT_PIECES, 20000, 1)]:
        assert normalize.normalize_text(text) == ref_normalize_text(text), text
        assert normalize.normalize_title(text) == ref_normalize_title(text), text
        assert normalize.normalize_pages(text) == ref_normalize_pages(text), text
        assert normalize.normalize_year(text) == ref_normalize_year(text), text
        paragraph = " ".join(text.replace("<", " ").split())  # one paragraph: no markup, no line breaks
        assert normalize.normalize_abstract(paragraph) == ref_abstract_paragraph(paragraph), paragraph
        assert xt.clean_text(text) == ref_clean(text), text
        # with a brace the decoder takes its full path, which ends by collapsing whitespace
        dashed = text.replace("---", "\u2014").replace("--", "\u2013")
        assert latex.decode_latex("{}" + text) == re.sub(r"\s+", " ", dashed).strip(), text


def test_person_names_agree_with_their_reference() -> None:
    pieces = ["DE", "BRUIN", "de", "Bruin", "K", "DK", "J.J.", "JOUKJE", "Kim", " ", "  ", "-", "'", "ⓐ", "李", "É",
              "é", "Ø", "1", ".", "MAHEUX-LACROIX", "O'CONNOR", "x", "AB李"]
    for family, given in zip(_strings(pieces, 6000, 5, 4), _strings(pieces, 6000, 6, 4), strict=True):
        author = Author(family=family, given=given, orcid="0000-0002-1234-5678" if len(family) % 2 else "")
        assert normalize.normalize_person_name(author) == ref_normalize_person_name(author), author
        people = normalize.normalize_record(normalize.Record(key="", authors=[author])).authors
        assert people == [a for a in [ref_normalize_person_name(author)] if a.family or a.literal]


def test_whitespace_collapse_fast_path_only_for_plain_spaces() -> None:
    for text in ["a  b", "a   b  c", "A.  B", "a \u00a0 b", "a  \u2002b", "a  b\x1f", " a  b", "a  b "]:
        assert normalize.normalize_text(text) == " ".join(text.split())


LATEX_PIECES = ["\\", "{", "}", "~", "$", "-", "--", "---", " ", "  ", "\n", "\t", "\xa0", "\u2009", "\ue000", "\ue003",
                "a", "\\'e", "\\'{e}", '{\\"u}', "\\emph{", "\\textbf{x}", "\\&", "\\%", "\\$", "\\_", "\\{", "\\}",
                "\\~", "\\^", "^", "\\textasciitilde", "\\o", "{\\o}", "\\c c", "\\v{s}", "\\ss", "\\,", "\\ ", "\\\\",
                "é", "\x1c", "\\alpha", "$\\alpha$", "\\url{a~b}", "\\emph{\\textbf{y}}", "\u3000", "{HSG}",
                "$'$", "$''$", "$-$", "\\textsuperscript{2}", "\\textsubscript{$-$}", "\\hspace{0pt}", "\\={\\\"O}",
                "\\textbackslash{}", "\u2003"]


def test_decode_latex_fast_path_agrees_with_the_full_decoder() -> None:
    # values without a backslash, brace, tilde, dash pair or dollar return early; a leading "{}" (which the full
    # decoder strips) sends the same value down the full path
    values = [v for v in _strings(LATEX_PIECES, 20000, 2) if not any(c in v for c in "\\{}~$") and "--" not in v]
    assert len(values) > 500
    for value in values:
        assert latex.decode_latex(value) == latex.decode_latex("{}" + value), value


def test_decode_latex_keeps_private_use_characters() -> None:
    # escaped specials use placeholders internally: a private-use character in the input is not one of them
    assert latex.decode_latex("\\v{s}\ue003 \\& \ue000") == "\u0161\ue003 & \ue000"


DOI_PREFIXES = re.compile(r"^\s*(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*|https?://(?:www\.)?doi\.org/|info:doi/)",
                          re.IGNORECASE)
DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
PMID_PREFIX = re.compile(r"^\s*(?:pmid|pubmed(?:\s*id)?)\s*[:=]?\s*", re.IGNORECASE)
PMID_URL = re.compile(r"^\s*https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/(\d+)/?\s*$")
PMCID = re.compile(r"^\s*(?:pmcid\s*[:=]?\s*)?(?:https?://\S*/)?(?:PMC)?(\d{1,9})(\.\d{1,3})?/?\s*$", re.IGNORECASE)


def ref_normalize_doi(value: str) -> str:
    text = value.strip()
    previous = None
    while previous != text:
        previous = text
        text = DOI_PREFIXES.sub("", text).strip()
    if "%2F" in text.upper():
        text = unquote(text)
    text = text.rstrip(".;,")
    if not DOI_SHAPE.match(text):
        raise identifiers.InvalidIdentifier("DOI", value, "expected 10.<registrant>/<suffix>")
    return text


def ref_normalize_pmid(value: str) -> str:
    text = value
    url = PMID_URL.match(text)
    if url:
        text = url.group(1)
    text = PMID_PREFIX.sub("", text).strip()
    if not text.isdigit() or not text.isascii() or not 0 < int(text) <= 99_999_999:
        raise identifiers.InvalidIdentifier("PMID", value, "")
    return str(int(text))


def ref_normalize_pmcid(value: str) -> str:
    match = PMCID.match(value)
    if not match or int(match.group(1)) == 0:
        raise identifiers.InvalidIdentifier("PMCID", value, "")
    version = match.group(2)
    return f"PMC{int(match.group(1))}" + (f".{int(version[1:])}" if version else "")


def _outcome(function, value: str) -> str | None:  # type: ignore[no-untyped-def]
    try:
        return function(value)  # type: ignore[no-any-return]
    except identifiers.InvalidIdentifier:
        return None


def test_identifier_fast_paths_agree_with_the_general_rules() -> None:
    values = ["10.1000/xyz", "10.1000/xyz.", " 10.1000/xyz", "10.1000/a%2Fb", "doi:10.1000/x", "10.1000/x\n",
              "10.100/x", "10.1000/", "10.1000/x;", "https://doi.org/10.1000/x", "10.\u0661\u0662\u0663\u0664/x",
              "12345", "012345", "123456789", "99999999", "0", "PMC123", "PMC0123", "pmc123", "PMC1234567890",
              "PMC123456789", "PMC", "PMC\u0661", "123 ", "PMID: 5", "\uff11\uff12\uff13",
              *_strings(["10.", "1000", "1", "0", "/", "x", ".", ";", "%2F", " ", "\n", "PMC", "doi:", "\u0661"],
                        3000, 4, 6)]
    for value in values:
        assert _outcome(identifiers.normalize_doi, value) == _outcome(ref_normalize_doi, value), value
        assert _outcome(identifiers.normalize_pmid, value) == _outcome(ref_normalize_pmid, value), value
        assert _outcome(identifiers.normalize_pmcid, value) == _outcome(ref_normalize_pmcid, value), value


def test_record_caches_return_what_the_rules_return() -> None:
    record = normalize.Record(key="", authors=[Author("DREYER", "K"), Author("Dreyer", "K")], journal="FERTILITY AND STERILITY",
                              month="feb", language="English", issn="0015-0282 (Print)", mesh=[" A ", "A", ""],
                              pmid="00123")
    for _ in range(2):  # the second time from the caches
        out = normalize.normalize_record(record)
        assert out.authors == [normalize.normalize_person_name(a) for a in record.authors]
        assert (out.journal, out.journal_abbrev) == normalize.normalize_journal(record.journal)
        assert out.month == "February" and out.language == "en" and out.issn == "0015-0282"
        assert out.mesh == ["A"] and out.pmid == "123"


# --- RIS --------------------------------------------------------------------------------------------------------
def _ris_texts() -> list[Path]:
    return [*corpus_files(".ris", ".txt", ".nbib"), *sorted((FIXTURES / "import").glob("*.ris"))]


@pytest.mark.parametrize("path", _ris_texts(), ids=lambda p: p.name)
def test_ris_record_finder_agrees_with_the_line_by_line_reading(path: Path) -> None:
    text = decode_text(path.read_bytes(), path.name)
    assert list(ris_tags(text, "x")) == list(records_by_line(text, "x"))


RIS_PIECES = ["TY  - JOUR", "TY  - ", "TY  -", "\nTY  -", " TY  - BOOK", "\ufeffTY  - X", "ER  - ", "ER", "ER -",
              "ER\t", "ER  -\r", "ER\r", "ERxx", " ER  -", "AU  - Smith, J", "AU  -X", "AU  -", "TI  - a title\r",
              "continued line", "", "  ", "KW  - a", "ab  - lower", "A1  - x", "1A  - y", "TY  -JOUR", "ER  - \r"]


def test_ris_record_finder_agrees_on_broken_files() -> None:
    rng = random.Random(3)
    for _ in range(20000):
        text = "\n".join(rng.choice(RIS_PIECES) for _ in range(rng.randint(0, 14)))
        for variant in (text, text + "\n"):
            assert list(ris_tags(variant, "x")) == list(records_by_line(variant, "x")), variant


# --- PubMed XML -------------------------------------------------------------------------------------------------
def _pubmed_files() -> list[Path]:
    files = [p for p in corpus_files(".xml") if b"<PubmedArticle" in p.read_bytes()[:200_000]]
    return [*files, *sorted((FIXTURES / "pubmed").glob("*.xml"))]


class OneWayStream(io.BytesIO):
    """A stream that cannot seek (a pipe, a download): iter_pubmed_xml reads it with the pull parser alone."""

    def seekable(self) -> bool:
        return False


class WatchedStream(io.BytesIO):
    """A seekable stream that records its seeks: the fast reading seeks only to count lines for a problem or to
    hand the rest of the document to the pull parser."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.seeks: list[int] = []

    def seek(self, offset: int, whence: int = 0) -> int:
        self.seeks.append(offset)
        return super().seek(offset, whence)


def tree_reading(data: bytes) -> list[object]:
    return list(px.iter_pubmed_xml(OneWayStream(data), "x"))


def _both_readings(data: bytes) -> tuple[list[object], list[object]]:
    fast = list(px.iter_pubmed_xml(io.BytesIO(data), "x"))
    return fast, tree_reading(data)


@pytest.mark.parametrize("path", _pubmed_files(), ids=lambda p: p.name)
def test_chunked_pubmed_reading_agrees_with_iterparse(path: Path) -> None:
    data = path.read_bytes()
    fast, tree = _both_readings(data)
    assert fast == tree
    for cut in (len(data) // 3, len(data) // 2, len(data) - 30):  # truncated copies: same records, same error
        fast, tree = _both_readings(data[:cut])
        assert fast == tree, cut


ARTICLE = (b"<PubmedArticle>\n  <MedlineCitation>\n    <PMID Version=\"1\">%d</PMID>\n    <Article>\n"
           b"      <ArticleTitle>Title %d.</ArticleTitle>\n    </Article>\n  </MedlineCitation>\n"
           b"  <PubmedData><ArticleIdList><ArticleId IdType=\"doi\">10.1000/%d</ArticleId></ArticleIdList>"
           b"</PubmedData>\n</PubmedArticle>\n")
HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
        b'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n')


def _document(middle: bytes = b"", tail: bytes = b"</PubmedArticleSet>\n", head: bytes = HEAD) -> bytes:
    return head + ARTICLE % (1, 1, 1) + middle + ARTICLE % (2, 2, 2) + tail


@pytest.mark.parametrize("data", [
    _document(),
    _document(tail=b"<DeleteCitation><PMID>9</PMID></DeleteCitation></PubmedArticleSet>"),
    _document(tail=b"</PubmedArticleSet>junk"),
    _document(tail=b"<ERROR>down</ERROR></PubmedArticleSet>"),
    _document(b"<!-- a comment -->"),
    _document(b"text between"),
    _document(b"<ERROR>quota</ERROR>"),
    _document(b"<PubmedBookArticle><BookDocument><PMID>5</PMID></BookDocument></PubmedBookArticle>"),
    _document(ARTICLE.replace(b"<Article>", b"<Article><X><MedlineCitation><PMID>7</PMID></MedlineCitation></X>")
              % (3, 3, 3)),
    _document(ARTICLE.replace(b"Title %d.", b"Title &foo; %d.") % (3, 3, 3)),
    _document(ARTICLE.replace(b"Title %d.", b"Title <i>x</i> &#233; %d.") % (3, 3, 3)),
    _document(ARTICLE.replace(b"<ArticleTitle>", b"<ArticleTitle><mml:math>") % (3, 3, 3)),
    # whitespace that only separates inline markup is text: kept by the chunked reading too
    _document(ARTICLE.replace(b"Title %d.", b"<i>In vitro</i> <i>fertilization</i>\n<b>%d</b>") % (3, 3, 3)),
    _document(ARTICLE.replace(b"Title %d.", b"<sup>2</sup> <sub>%d</sub>") % (3, 3, 3)),
    _document(ARTICLE.replace(b"Title %d.", b"<DispFormula>x</DispFormula> <DispFormula>%d</DispFormula>")
              % (3, 3, 3)),
    _document(ARTICLE.replace(b"Title %d.", b"<Em>a</Em> <!-- c --> <Em>b</Em> %d") % (3, 3, 3)),
    _document(ARTICLE.replace(b"Title %d.", b"<Em>a</Em> <![CDATA[b]]> %d") % (3, 3, 3)),
    _document(ARTICLE.replace(b"Title %d.", b"<Em>a</Em> <Em>b</Em> %d") % (3, 3, 3), head=HEAD.replace(
        b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
        b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n', b"")),
    # an article many times the size of a read block, and a long stretch after the last article
    _document(ARTICLE.replace(b"<Article>", b"<Article>" + b"<Language>eng</Language>\n" * 20000) % (3, 3, 3)),
    _document(tail=b"</PubmedArticleSet>" + b" " * 300_000 + b"\n"),
    _document(tail=b"<DeleteCitation>" + b"<PMID>9</PMID>\n" * 30000 + b"</DeleteCitation></PubmedArticleSet>"),
    _document(ARTICLE.replace(b"10.1000/%d", b"not a doi %d") % (3, 3, 3)),
    _document(ARTICLE.replace(b"<Article>", b"<Article><ERROR>x</ERROR>") % (3, 3, 3)),
    _document(b"<PubmedArticle><ERROR>quota</ERROR></PubmedArticle>\n"),
    _document(head=HEAD.replace(b"<PubmedArticleSet>", b'<PubmedArticleSet xmlns:mml="http://www.w3.org/1998/Math/MathML">')),
    _document(head=HEAD.replace(b"<PubmedArticleSet>", b'<PubmedArticleSet xmlns="urn:x">')),
    _document(head=HEAD.replace(b'.dtd">', b'.dtd" [<!ENTITY foo "bar">]>')),
    _document(head=HEAD.replace(b"UTF-8", b"ISO-8859-1")),
    _document(head=b"\xef\xbb\xbf" + HEAD),
    _document(head=b"<PubmedArticleSet>"),
    _document()[:-40],
    _document()[:200],
    b"",
    b"<ERROR>API rate limit exceeded</ERROR>",
])
def test_chunked_pubmed_reading_hands_over_whatever_it_does_not_cover(data: bytes) -> None:
    fast, tree = _both_readings(data)
    assert fast == tree


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_chunked_pubmed_reading_reads_plain_files_itself(tmp_path: Path) -> None:
    data = HEAD + b"".join(ARTICLE % (i, i, i) for i in range(1, 6001)) + b"</PubmedArticleSet>\n"  # 2 MB
    stream = WatchedStream(data)
    assert list(px.iter_pubmed_xml(stream, "x")) == tree_reading(data)
    assert stream.seeks == []  # read to the end by the fast reading: nothing handed to the pull parser
    bad = data.replace(b"Title 1500.", b"Title 1500.</Bad>")
    fast, tree = _both_readings(bad)
    assert fast == tree and len([r for r in fast if isinstance(r, px.Record)]) == 1499
    path = tmp_path / "big.xml"  # problems far into a file: line numbers counted from the stream again
    path.write_bytes(data.replace(b"10.1000/5999<", b"no doi<"))
    with path.open("rb") as handle:
        fast = list(px.iter_pubmed_xml(handle, "x"))
    assert fast == tree_reading(path.read_bytes())
    written = path.read_bytes()
    article = written.rindex(b"<PubmedArticle>", 0, written.index(b'<PMID Version="1">5999<'))
    assert [p.line for p in fast if isinstance(p, px.ReadProblem)] == [written.count(b"\n", 0, article) + 1]


def _articles(path: Path) -> list[etree._Element]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(path.read_bytes(), parser)
    except etree.XMLSyntaxError:
        return []
    return list(root.iter("PubmedArticle"))


def first_child(parent: etree._Element | None, tag: str) -> etree._Element | None:
    return None if parent is None else next(parent.iterchildren(tag), None)


@pytest.mark.parametrize("path", _pubmed_files(), ids=lambda p: p.name)
def test_author_and_mesh_passes_agree_with_the_child_walks(path: Path) -> None:
    for article in _articles(path):
        citation = first_child(article, "MedlineCitation")
        art = first_child(citation, "Article")
        if art is not None:
            fast: list[Author] = []
            for author_list in art.iterchildren("AuthorList"):
                if (author_list.get("Type") or "authors") == "authors":
                    pa.list_authors(author_list, fast)
            assert fast == pa.read_authors(art)
        mesh = first_child(citation, "MeshHeadingList")
        if mesh is not None:
            assert pr.mesh_headings(mesh) == ref_mesh(mesh)


def test_author_pass_reads_only_the_authors_own_parts() -> None:
    author_list = etree.fromstring(
        "<AuthorList><Author><LastName>Ng</LastName><AffiliationInfo><Identifier Source='ORCID'>0000-0001-2345-"
        "6789</Identifier></AffiliationInfo><X><Author><LastName>Nested</LastName></Author></X></Author>"
        "<Author ValidYN='N'><LastName>Gone</LastName></Author><Author><CollectiveName>WHO <i>group</i>"
        "</CollectiveName><LastName>Ignored</LastName></Author><Author><LastName>A</LastName><LastName>B</LastName>"
        "<Identifier Source='ORCID'>bad</Identifier><Identifier Source='ORCID'>0000000123456789</Identifier>"
        "<Suffix>Jr</Suffix></Author><Author><LastName>Kim</LastName><ForeName> </ForeName><Initials>K</Initials>"
        "</Author><Author><LastName>Lee</LastName><Initials>J</Initials><Initials>JH</Initials></Author>"
        "<Author><LastName>Park</LastName><ForeName>Ji</ForeName><Initials>X</Initials></Author></AuthorList>")
    fast: list[Author] = []
    pa.list_authors(author_list, fast)
    expected = [a for a in (pa.read_author(e) for e in author_list.iterchildren("Author")) if a is not None]
    assert fast == expected
    assert [a.family or a.literal for a in fast] == ["Ng", "WHO group", "B", "Kim", "Lee", "Park"]
    assert [a.given for a in fast[3:]] == ["K", "JH", "Ji"]


def test_mesh_pass_keeps_headings_apart_from_nested_terms() -> None:
    mesh = etree.fromstring(
        "<MeshHeadingList><MeshHeading><QualifierName>q0</QualifierName><DescriptorName MajorTopicYN='Y'>D1"
        "<DescriptorName>inner</DescriptorName></DescriptorName><QualifierName>q1</QualifierName></MeshHeading>"
        "<DescriptorName><QualifierName>odd</QualifierName><DescriptorName>D2</DescriptorName></DescriptorName>"
        "<MeshHeading/><MeshHeading><DescriptorName> D3 </DescriptorName></MeshHeading></MeshHeadingList>")
    assert pr.mesh_headings(mesh) == ref_mesh(mesh)


# --- the collector pause ----------------------------------------------------------------------------------------
def test_gc_paused_restores_the_collector_state() -> None:
    seen = []

    @gc_paused
    def reader(fail: bool) -> int:
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("boom")
        return 1

    was = gc.isenabled()
    try:
        gc.enable()
        assert reader(False) == 1 and gc.isenabled()
        with pytest.raises(ValueError):
            reader(True)
        assert gc.isenabled()
        gc.disable()
        assert reader(False) == 1 and not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
    assert seen == [False, False, False]

