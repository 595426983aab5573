"""PubMed XML (EFetch ``db=pubmed&retmode=xml``, the PubMed baseline files) -> Records, streamed.

Parsing is safe by construction: lxml's ``iterparse`` with ``resolve_entities=False, no_network=True,
load_dtd=False, huge_tree=False``. NCBI's files never declare entities of their own, so a DOCTYPE with an
internal subset that declares ``<!ENTITY ...>`` (an entity-expansion "billion laughs" or an external-entity
"XXE" payload) is refused with a fatal :class:`ReadProblem` before any record is read: nothing is expanded and
no file or URL is opened. Elements are cleared as soon as their record is built, so memory stays flat however
large the file is.

Speed (>= 4,000 records/s is the target): a file with the plain shape of NCBI's files is read article by
article - each ``<PubmedArticle>`` cut out of the byte stream and parsed on its own with the same safe parser
settings, which costs less than ``iterparse``'s per-element bookkeeping - and anything else falls back to
``iterparse`` (see :func:`iter_pubmed_xml`); fields are read in one pass over each element's children.

Mapping (NLM's PubMed DTD element names):

* ``PMID`` pmid; ``PubmedData/ArticleIdList`` ``doi`` / ``pmc`` (``ELocationID EIdType="doi"`` as fallback);
* ``ArticleTitle`` title (``VernacularTitle`` when there is no English title) - inline tags (``<i>``, ``<b>``,
  ``<sup>``, ``<sub>``, ``<u>``) are dropped keeping their text; MathML is flattened to linear text (``x^2``,
  ``a_i``, ``(a+1)/b``, ``√(x)``, fences and matrices as brackets); comments are ignored;
* ``Abstract/AbstractText``: one paragraph each, ``LABEL: text`` for structured abstracts, paragraphs
  separated by a blank line (``OtherAbstract`` goes to ``extra["abstract_other"]``);
* ``AuthorList`` (``ValidYN="N"`` entries skipped): ``LastName``/``ForeName`` (``Initials`` when no fore
  name; ``Suffix`` appended to the given name), ``CollectiveName`` -> ``Author(literal=...)``, ORCID
  identifiers kept;
* ``Journal/Title`` journal, ``MedlineTA`` (the NLM abbreviation Vancouver citations use; ``ISOAbbreviation``
  when absent) journal_abbrev; ``ISSNLinking`` first, then ``ISSN``; ``Volume``, ``Issue``;
  ``MedlinePgn`` pages ("561-7" -> "561--567" by the normalizer; ``StartPage``/``EndPage`` as fallback);
* ``PubDate`` ``Year``/``Month`` or ``MedlineDate`` ("1998 Dec-1999 Jan" -> 1998, December); ``ArticleDate``
  when the issue date has no year;
* ``Language``; ``PublicationType`` pubtypes; ``KeywordList/Keyword`` keywords;
* ``MeshHeadingList``: MEDLINE-style headings, exactly as the MEDLINE text reader stores them:
  ``Descriptor/qualifier/qualifier`` with ``*`` before each major topic (``*Hysterosalpingography``,
  ``Infertility, Female/*diagnostic imaging``);
* retraction: publication type "Retracted Publication" or a ``CommentsCorrections RefType="RetractionIn"``
  sets ``retracted``; the retraction notice is cited in ``note`` ("Retraction in: Lancet. 2010 ...").
* ``PubmedBookArticle``: a chapter (``ArticleTitle`` present) becomes ``@incollection`` with the book title as
  ``booktitle``, else ``@book``; ``Publisher``, ``PublisherLocation`` (``extra["address"]``), ``Isbn``,
  ``CollectionTitle`` (``extra["series"]``), ``AuthorList Type="editors"`` editors, ``bookaccession``
  (NBK...) -> the NCBI Bookshelf URL.

An NCBI error document (``<ERROR>`` inside an otherwise successful response) is a fatal problem carrying NCBI's
message. Truncated or malformed XML: the records before the break are returned, then a fatal problem naming the
file and line.
"""

from __future__ import annotations

import io
import re
from collections.abc import Generator, Iterator
from typing import BinaryIO

from lxml import etree

from library.model import Author, Record
from library.normalize import normalize_record, normalize_year, parse_date

from ..base import ReadProblem, ReadResult, gc_paused, identifier_problems

__all__ = ["check_pubmed_xml", "element_text", "iter_pubmed_xml", "mathml_text", "pubmed_record", "read_pubmed_xml"]

_ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation", "ERROR")
_WS = re.compile(r"\s+")
BOOKSHELF_URL = "https://www.ncbi.nlm.nih.gov/books/"


# --- text of mixed content ------------------------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]


def element_text(element: etree._Element) -> str:
    """Text of an element with inline markup dropped (its text kept) and MathML flattened to linear text.

    Comments, processing instructions and unexpanded entity references contribute nothing.
    """
    if not len(element):
        return element.text or ""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            if tag[-4:] == "math" and _local(tag) == "math":
                parts.append(mathml_text(child))
            elif len(child):
                parts.append(element_text(child))
            else:
                parts.append(child.text or "")
        parts.append(child.tail or "")
    return "".join(parts)


_TOKENS = frozenset({"mi", "mn", "mo", "mtext", "ms", "cn", "ci", "csymbol", "mglyph"})
_SYMBOLS = {"infinity": "∞", "in": "∈", "notin": "∉", "complexes": "ℂ", "reals": "ℝ", "integers": "ℤ",
            "naturalnumbers": "ℕ", "rationals": "ℚ", "pi": "π", "exponentiale": "e", "imaginaryi": "i",
            "plus": "+", "minus": "-", "times": "×", "divide": "/", "eq": "=", "neq": "≠", "lt": "<", "gt": ">",
            "leq": "≤", "geq": "≥", "approx": "≈", "sum": "∑", "product": "∏", "int": "∫", "emptyset": "∅"}
_SKIPPED = frozenset({"annotation", "annotation-xml", "mphantom", "none", "mprescripts", "maligngroup",
                      "malignmark", "mspace"})


def _wrap(text: str) -> str:
    """Parenthesize compound operands: 'x^(n+1)', '(a+1)/b'; single tokens stay bare."""
    return text if len(text) <= 1 or text.isalnum() or (text[0] == "(" and text[-1] == ")") else f"({text})"


def _script(base: str, mark: str, script: str) -> str:
    if not script:
        return base
    if mark == "_" and script.isdigit():
        return f"{base}{script}"  # CO2, H2O, a1: how plain text writes numeric subscripts
    return f"{base}{mark}{_wrap(script)}"


def mathml_text(element: etree._Element) -> str:
    """MathML (presentation or content markup) as one line of plain text: 'η_p^2', '(a+1)/b', '√(x)'."""
    name = _local(element.tag) if isinstance(element.tag, str) else ""
    if not name or name in _SKIPPED:
        return ""
    if name in _TOKENS:
        return _clean(" ".join(t.strip() for t in element.itertext() if t.strip()))
    if name in _SYMBOLS and not len(element):
        return _SYMBOLS[name]
    kids = [mathml_text(child) for child in element if isinstance(child.tag, str)]
    if name == "semantics":
        return kids[0] if kids else ""
    if name in ("msub", "munder") and len(kids) >= 2:
        return _script(kids[0], "_", kids[1])
    if name in ("msup", "mover") and len(kids) >= 2:
        return _script(kids[0], "^", kids[1])
    if name in ("msubsup", "munderover") and len(kids) >= 3:
        return _script(_script(kids[0], "_", kids[1]), "^", kids[2])
    if name == "mfrac" and len(kids) >= 2:
        return f"{_wrap(kids[0])}/{_wrap(kids[1])}"
    if name == "msqrt":
        return f"√({''.join(kids)})"
    if name == "mroot" and len(kids) >= 2:
        return f"{_wrap(kids[0])}^(1/{kids[1]})"
    if name == "mfenced":
        separators = (element.get("separators", ",") or "").strip()
        glue = separators[:1]
        return f"{element.get('open', '(')}{glue.join(kids)}{element.get('close', ')')}"
    if name in ("mtable", "matrix"):
        return "[" + "; ".join(kids) + "]"
    if name in ("mtr", "mlabeledtr", "matrixrow"):
        return " ".join(k for k in kids if k)
    if name == "apply" and kids:
        operator = kids[0]
        return operator.join(kids[1:]) if len(kids) > 2 and len(operator) == 1 else "".join(kids)
    return "".join(kids)


def _clean(text: str) -> str:
    """Whitespace runs collapsed to one space, ends trimmed (str.split() and the regex \\s agree on what
    whitespace is; split + join is several times faster than a regex substitution on long abstracts)."""
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        return " ".join(text.split())
    return text.strip()


def _leaf_text(element: etree._Element) -> str:
    return _clean(element.text or "") if not len(element) else _clean(element_text(element))


def _walk(parent: etree._Element | None, path: str) -> list[etree._Element]:
    """Children along a simple path ("A/B"): iterchildren works in C, find() goes through ElementPath."""
    nodes = [parent] if parent is not None else []
    for step in path.split("/"):
        nodes = [child for node in nodes for child in node.iterchildren(step)]
    return nodes


def _first(parent: etree._Element | None, path: str) -> etree._Element | None:
    if parent is None:
        return None
    if "/" not in path:
        return next(parent.iterchildren(path), None)
    found = _walk(parent, path)
    return found[0] if found else None


def _text(parent: etree._Element | None, path: str) -> str:
    found = _first(parent, path)
    return _leaf_text(found) if found is not None else ""


def _texts(parent: etree._Element | None, path: str) -> list[str]:
    return [t for t in (_leaf_text(e) for e in _walk(parent, path)) if t]


_ORCID = re.compile(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dXx])")


def _author(element: etree._Element) -> Author | None:
    if element.get("ValidYN") == "N":
        return None
    family = fore = initials = suffix = collective = orcid = ""
    for child in element:  # one pass with plain comparisons: authors are most of a record's elements
        tag = child.tag
        if tag == "LastName":
            family = _clean(child.text or "")
        elif tag == "ForeName":
            fore = _clean(child.text or "")
        elif tag == "Initials":
            initials = _clean(child.text or "")
        elif tag == "CollectiveName":
            collective = _leaf_text(child)
        elif tag == "Suffix":
            suffix = _clean(child.text or "")
        elif tag == "Identifier" and not orcid and child.get("Source") == "ORCID":
            match = _ORCID.search(child.text or "")
            orcid = "-".join(match.groups()).upper() if match else ""
    if collective:
        return Author(literal=collective)
    if not family:
        return None
    given = fore or initials
    if suffix:
        given = f"{given}, {suffix}" if given else suffix
    return Author(family=family, given=given, orcid=orcid)


def _authors(parent: etree._Element | None, kind: str = "authors") -> list[Author]:
    """Authors of the AuthorList(s) under ``parent`` whose Type is ``kind`` (no Type means authors)."""
    if parent is None:
        return []
    out: list[Author] = []
    for author_list in parent.iterchildren("AuthorList"):
        if (author_list.get("Type") or "authors") != kind:
            continue
        out.extend(a for a in (_author(e) for e in author_list.iterchildren("Author")) if a is not None)
    return out


def _date(pub_date: etree._Element | None) -> tuple[int | None, str]:
    if pub_date is None:
        return None, ""
    year = month = medline = None
    for child in pub_date:  # the first Year, Month and MedlineDate
        tag = child.tag
        if tag == "Year":
            if year is None:
                year = child
        elif tag == "Month":
            if month is None:
                month = child
        elif tag == "MedlineDate" and medline is None:
            medline = child
    year_text = _leaf(year)
    if year_text:
        return normalize_year(year_text), _leaf(month)
    medline_text = _leaf(medline)
    return parse_date(medline_text) if medline_text else (None, "")


def _abstract(parent: etree._Element | None) -> str:
    """Structured abstracts as "LABEL: text" paragraphs, separated by a blank line."""
    abstract = _first(parent, "Abstract")
    if abstract is None:
        return ""
    return _paragraphs(abstract)


def _paragraphs(abstract: etree._Element) -> str:
    paragraphs = []
    for part in abstract:
        if part.tag != "AbstractText":
            continue
        text = _clean(element_text(part))
        label = _clean(part.get("Label") or "")
        if label and label.upper() != "UNLABELLED":
            text = f"{label}: {text}" if text else f"{label}:"
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _mesh(citation: etree._Element) -> list[str]:
    mesh_list = _first(citation, "MeshHeadingList")
    if mesh_list is None:
        return []
    return _mesh_headings(mesh_list)


def _mesh_headings(mesh_list: etree._Element) -> list[str]:
    """Each child of ``mesh_list`` -> "Descriptor/qualifier/...", in one filtered pass over the terms (a term
    counts when its parent is a child of ``mesh_list``; a qualifier only after a descriptor of its heading)."""
    headings = []
    heading = None
    parts: list[str] = []
    for term in mesh_list.iter("DescriptorName", "QualifierName"):
        parent = term.getparent()
        if parent is not heading:
            if parent is None or parent.getparent() is not mesh_list:
                continue  # nested deeper than a heading's own terms
            if parts:
                headings.append("/".join(parts))
                parts = []
            heading = parent
        if term.tag == "DescriptorName" or parts:
            text = term.text if not len(term) else None
            if text is None or "\n" in text or "  " in text or "\t" in text or "\r" in text:
                text = _leaf_text(term)
            else:
                text = text.strip()
            parts.append("*" + text if term.get("MajorTopicYN") == "Y" else text)
    if parts:
        headings.append("/".join(parts))
    return headings


def _keywords(parent: etree._Element) -> list[str]:
    return _texts(parent, "KeywordList/Keyword")


_ID_PARENTS = ("PubmedData", "PubmedBookData", "BookDocument")


def _ids(article: etree._Element) -> dict[str, str]:
    """IdType -> value from the record's own ArticleIdList (not the ones of its references).

    Lists are read in this order: ``PubmedData``'s, ``PubmedBookData``'s, ``BookDocument``'s; the first value
    of each IdType wins.
    """
    parents: list[tuple[int, etree._Element]] = []
    for child in article:
        tag = child.tag
        if tag == "PubmedData" or tag == "PubmedBookData" or tag == "BookDocument":
            parents.append((_ID_PARENTS.index(tag), child))
    if len(parents) > 1:
        parents.sort(key=lambda item: item[0])  # stable: document order within each kind
    ids: dict[str, str] = {}
    for _rank, parent in parents:
        for id_list in parent:
            if id_list.tag != "ArticleIdList":
                continue
            for element in id_list:
                if element.tag != "ArticleId":
                    continue
                kind = element.get("IdType")
                if not kind:
                    continue
                kind = kind.lower()
                if kind in ids:
                    continue
                value = _clean(element.text or "")
                if value:
                    ids[kind] = value
    return ids


def _elocation_doi(parent: etree._Element | None) -> str:
    if parent is None:
        return ""
    for element in parent.iterchildren("ELocationID"):
        if element.get("EIdType") == "doi" and element.get("ValidYN") != "N":
            return _clean(element.text or "")
    return ""


def _retraction(record: Record, citation: etree._Element) -> None:
    notices = [_text(c, "RefSource") for c in _walk(citation, "CommentsCorrectionsList/CommentsCorrections")
               if c.get("RefType") == "RetractionIn"]
    if notices or "Retracted Publication" in record.pubtypes:
        record.retracted = True
    if notices and notices[0] and not record.note:
        record.note = f"Retraction in: {notices[0]}"


def _pmid(parent: etree._Element) -> str:
    """The PMID; of several versions (rare), the latest."""
    found = [(int(v) if (v := e.get("Version", "1")).isdigit() else 1, _clean(e.text or ""))
             for e in parent.iterchildren("PMID")]
    return max(found)[1] if found else ""


def _leaf(element: etree._Element | None) -> str:
    """_leaf_text of an optional element, with _clean inlined (called for most fields of every record)."""
    if element is None:
        return ""
    if len(element):
        return _clean(element_text(element))
    text = element.text
    if not text:
        return ""
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        return " ".join(text.split())
    return text.strip()


_AUTHORS: dict[tuple[str, str, str, str, str, str], Author | None] = {}  # raw name parts -> Author


# Initials are only used when there is no ForeName: read then, from the author's children (see _initials)
_AUTHOR_PARTS = ("Author", "LastName", "ForeName", "CollectiveName", "Suffix", "Identifier")


def _list_authors(author_list: etree._Element, out: list[Author]) -> None:
    """The ``Author`` children of ``author_list``, read as :func:`_author` reads each one, appended to ``out``.

    One pass over the list's elements of interest (lxml's filtered ``iter`` makes no Python object for the
    affiliations in between) instead of a loop over each author's children; an element counts only when its
    parent is the author being read. Each distinct raw name is built into an Author once (see _AUTHORS).
    """
    cache = _AUTHORS
    current = None
    valid = False
    family = fore = suffix = collective = orcid = ""
    for element in author_list.iter(_AUTHOR_PARTS):
        tag = element.tag
        if tag == "Author":
            if element.getparent() is not author_list:
                continue  # not one of this list's authors (nor are its parts: their parent is not ``current``)
            if valid:
                key = (family, fore, _initials(current) if not fore.strip() else "", suffix, collective, orcid)
                author = cache.get(key, _MISSING)
                if author is _MISSING:
                    author = _new_author(key)
                if author is not None:
                    out.append(author)  # type: ignore[arg-type]
            current = element
            valid = element.get("ValidYN") != "N"
            family = fore = suffix = collective = orcid = ""
        elif valid and element.getparent() is current:
            if tag == "LastName":
                family = element.text or ""
            elif tag == "ForeName":
                fore = element.text or ""
            elif tag == "Identifier":
                if not orcid and element.get("Source") == "ORCID":
                    match = _ORCID.search(element.text or "")
                    orcid = "-".join(match.groups()).upper() if match else ""
            elif tag == "CollectiveName":
                collective = _leaf_text(element)
            else:  # Suffix
                suffix = element.text or ""
    if valid:
        key = (family, fore, _initials(current) if not fore.strip() else "", suffix, collective, orcid)
        author = cache.get(key, _MISSING)
        if author is _MISSING:
            author = _new_author(key)
        if author is not None:
            out.append(author)  # type: ignore[arg-type]


def _initials(author: etree._Element | None) -> str:
    """The text of the author's last Initials child (as _author reads it), needed when it has no ForeName."""
    initials = ""
    if author is not None:
        for child in author:
            if child.tag == "Initials":
                initials = child.text or ""
    return initials


def _new_author(key: tuple[str, str, str, str, str, str]) -> Author | None:
    family, fore, initials, suffix, collective, orcid = key
    if len(_AUTHORS) >= 1 << 16:
        _AUTHORS.clear()
    author = _AUTHORS[key] = _built_author(_clean(family), _clean(fore), _clean(initials), _clean(suffix),
                                           collective, orcid)
    return author


_MISSING = object()


def _built_author(family: str, fore: str, initials: str, suffix: str, collective: str, orcid: str) -> Author | None:
    if collective:
        return Author(literal=collective)
    if not family:
        return None
    given = fore or initials
    if suffix:
        given = f"{given}, {suffix}" if given else suffix
    return Author(family=family, given=given, orcid=orcid)


_JOURNAL_PARTS = ("JournalIssue", "Title", "ISOAbbreviation", "ISSN")
_INFO_PARTS = ("MedlineTA", "ISSNLinking")
_ISSUE_PARTS = ("Volume", "Issue", "PubDate")


def _first_children(parent: etree._Element | None, tags: tuple[str, ...]) -> dict[str, etree._Element]:
    """The first child of ``parent`` with each of ``tags``."""
    found: dict[str, etree._Element] = {}
    if parent is not None:
        for child in parent:
            tag = child.tag
            if tag in tags and tag not in found:
                found[tag] = child
    return found


def _journal_article(article: etree._Element, citation: etree._Element) -> Record:
    """A ``MedlineCitation`` (and its ``PubmedArticle``) -> Record, in one pass over each element's children.

    Same reading as the generic helpers above (first child of a tag wins, lists keep document order); written
    out because PubMed XML must read >= 4,000 records/s and every lxml child access creates a Python object.
    """
    record = Record(key="", entry_type="article")
    art = info = mesh_list = None
    pmids = []
    keyword_lists = []
    notes = []
    others = []
    corrections = False
    for child in citation:
        tag = child.tag
        if tag == "Article":
            if art is None:
                art = child
        elif tag == "MeshHeadingList":
            if mesh_list is None:
                mesh_list = child
        elif tag == "PMID":
            pmids.append(child)
        elif tag == "MedlineJournalInfo":
            if info is None:
                info = child
        elif tag == "KeywordList":
            keyword_lists.append(child)
        elif tag == "CommentsCorrectionsList":
            corrections = True
        elif tag == "GeneralNote":
            notes.append(child)
        elif tag == "OtherAbstract":
            others.append(child)
    if len(pmids) == 1:
        record.pmid = _clean(pmids[0].text or "")
    elif pmids:
        record.pmid = max((int(v) if (v := e.get("Version", "1")).isdigit() else 1, _clean(e.text or ""))
                          for e in pmids)[1]
    journal = title = vernacular_element = pagination = abstract = article_date = None
    author_lists = []
    elocations = []
    languages = []
    pubtype_lists = []
    if art is not None:
        for child in art:
            tag = child.tag
            if tag == "AuthorList":
                author_lists.append(child)
            elif tag == "Journal":
                if journal is None:
                    journal = child
            elif tag == "ArticleTitle":
                if title is None:
                    title = child
            elif tag == "Abstract":
                if abstract is None:
                    abstract = child
            elif tag == "Pagination":
                if pagination is None:
                    pagination = child
            elif tag == "ELocationID":
                elocations.append(child)
            elif tag == "Language":
                languages.append(child)
            elif tag == "PublicationTypeList":
                pubtype_lists.append(child)
            elif tag == "VernacularTitle":
                if vernacular_element is None:
                    vernacular_element = child
            elif tag == "ArticleDate" and article_date is None:
                article_date = child
    first = _first_children(journal, _JOURNAL_PARTS)
    journal_issue, journal_title, iso, issn = (first.get(tag) for tag in _JOURNAL_PARTS)
    first = _first_children(info, _INFO_PARTS)
    medline_ta, issn_linking = (first.get(tag) for tag in _INFO_PARTS)
    first = _first_children(journal_issue, _ISSUE_PARTS)
    volume, issue_number, pub_date = (first.get(tag) for tag in _ISSUE_PARTS)
    vernacular = _leaf(vernacular_element)
    record.title = _leaf(title) or vernacular
    record.journal = _leaf(journal_title)
    record.journal_abbrev = _leaf(medline_ta) or _leaf(iso)
    linking, issn_text = _leaf(issn_linking), _leaf(issn)
    record.issn = (f"{linking}, {issn_text}" if linking != issn_text else linking) if linking and issn_text else (
        linking or issn_text)
    record.volume = _leaf(volume)
    record.issue = _leaf(issue_number)
    record.year, record.month = _date(pub_date)
    if record.year is None:
        record.year, record.month = _date(article_date)
    if pagination is not None:
        medline_pages = start_page = end_page = None
        for child in pagination:
            tag = child.tag
            if tag == "MedlinePgn":
                if medline_pages is None:
                    medline_pages = child
            elif tag == "StartPage":
                if start_page is None:
                    start_page = child
            elif tag == "EndPage" and end_page is None:
                end_page = child
        pages = _leaf(medline_pages)
        if not pages:
            start, end = _leaf(start_page), _leaf(end_page)
            pages = f"{start}-{end}" if start and end else start
        record.pages = pages
    authors: list[Author] = []
    for author_list in author_lists:
        if (author_list.get("Type") or "authors") != "authors":
            continue
        _list_authors(author_list, authors)
    record.authors = authors
    if abstract is not None:
        record.abstract = _paragraphs(abstract)
    for element in languages:
        language = _leaf(element)
        if language:
            record.language = language
            break
    pubtypes = []
    for pubtype_list in pubtype_lists:
        for element in pubtype_list:
            if element.tag == "PublicationType":
                text = _leaf(element)
                if text:
                    pubtypes.append(text)
    record.pubtypes = pubtypes
    if mesh_list is not None:
        record.mesh = _mesh_headings(mesh_list)
    if keyword_lists:
        record.keywords = [t for t in (_leaf(e) for lst in keyword_lists for e in lst if e.tag == "Keyword") if t]
    ids = _ids(article)
    doi = ids.get("doi")
    if not doi:
        for element in elocations:
            if element.get("EIdType") == "doi" and element.get("ValidYN") != "N":
                doi = _clean(element.text or "")
                break
    record.doi = doi or ""
    record.pmcid = ids.get("pmc", "")
    record.pmid = record.pmid or ids.get("pubmed", "")
    if corrections or "Retracted Publication" in record.pubtypes:
        _retraction(record, citation)
    abstract_other = "\n\n".join(o for o in (_paragraphs(e) for e in others) if o) if others else ""
    annote = "; ".join(t for t in (_leaf(e) for e in notes) if t) if notes else ""
    origtitle = vernacular if vernacular and vernacular != record.title else ""
    if abstract_other or origtitle or annote:
        extra = {"abstract_other": abstract_other, "origtitle": origtitle, "annote": annote}
        record.extra = {k: v for k, v in extra.items() if v}
    return record


def _book_article(article: etree._Element) -> Record:
    document = _first(article, "BookDocument")
    if document is None:
        return Record(key="")
    book = _first(document, "Book")
    chapter_title = _text(document, "ArticleTitle")
    book_title = _text(book, "BookTitle")
    record = Record(key="", entry_type="incollection" if chapter_title else "book")
    record.pmid = _pmid(document)
    record.title = chapter_title or book_title
    record.booktitle = book_title if chapter_title else ""
    record.authors = _authors(document) or _authors(book)
    record.editors = _authors(book, "editors") or _authors(document, "editors")
    record.publisher = _text(book, "Publisher/PublisherName")
    record.year, record.month = _date(_first(book, "PubDate"))
    record.volume = _text(book, "Volume")
    record.pages = _text(document, "Pagination/MedlinePgn")
    record.isbn = (_texts(book, "Isbn") or [""])[0]
    record.abstract = _abstract(document)
    record.language = (_texts(document, "Language") or [""])[0]
    record.pubtypes = _texts(document, "PublicationType")
    record.keywords = _keywords(document)
    ids = _ids(article)
    record.doi = ids.get("doi") or _elocation_doi(document) or _elocation_doi(book)
    record.pmcid = ids.get("pmc", "")
    record.pmid = record.pmid or ids.get("pubmed", "")
    if ids.get("bookaccession", "").startswith("NBK"):
        record.url = f"{BOOKSHELF_URL}{ids['bookaccession']}/"
    _retraction(record, document)
    extra = {"address": _text(book, "Publisher/PublisherLocation"), "series": _text(book, "CollectionTitle"),
             "edition": _text(book, "Edition")}
    record.extra = {k: v for k, v in extra.items() if v}
    return record


def pubmed_record(article: etree._Element) -> Record:
    """One ``PubmedArticle``, ``PubmedBookArticle`` or bare ``MedlineCitation`` element -> a normalized Record."""
    if article.tag == "PubmedBookArticle":
        record = _book_article(article)
    elif article.tag == "MedlineCitation":
        record = _journal_article(article, article)
    else:
        citation = _first(article, "MedlineCitation")
        record = _journal_article(article, citation) if citation is not None else Record(key="")
    return normalize_record(record, in_place=True)


def _unsafe_dtd(element: etree._Element) -> str:
    """A message when the document declares entities (never the case in NCBI files), else ''."""
    dtd = element.getroottree().docinfo.internalDTD
    if dtd is None:
        return ""
    entities = list(dtd.entities())
    if not entities:
        return ""
    external = [e.name for e in entities if e.system_url]
    kind = (f"external entities ({', '.join(external[:3])}) that would read files or URLs" if external
            else f"{len(entities)} internal entities (an entity-expansion bomb)")
    return (f"the document declares {kind} in its DOCTYPE; PubMed XML never does, so the file was refused "
            "without expanding anything")


_PULL_BLOCK = 1 << 16


def _pull_elements(stream: BinaryIO, parser: etree.XMLPullParser) -> Generator[etree._Element, None, etree._Element]:
    """The elements of the parser's end events as the stream is fed to it; returns the root.

    On a syntax error inside the document every element completed before it is delivered first, then the
    error is raised: the records before a break in the file are always read (lxml 6.2's ``iterparse`` raises
    before handing over the events of the block that holds the error; a pull parser keeps them for
    ``read_events``). At the end of a truncated document libxml2 closes the elements still open, so the events
    queued by ``close`` are dropped: they are the unfinished article, not a record.
    """
    while True:
        block = stream.read(_PULL_BLOCK)
        try:
            if block:
                parser.feed(block)
            else:
                root = parser.close()
        except etree.XMLSyntaxError:
            if block:
                for _event, element in parser.read_events():
                    yield element
            raise
        for _event, element in parser.read_events():
            yield element
        if not block:
            return root


def _tree_records(stream: BinaryIO, source: str, skip: int = 0) -> Iterator[Record | ReadProblem]:
    """Records and problems of the document read by a streaming (pull) parser; the first ``skip`` records are
    parsed (and their elements cleared) but neither built nor reported: :func:`_chunk_records` already gave
    them."""
    parser = etree.XMLPullParser(events=("end",), tag=_ARTICLE_TAGS, resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False, remove_comments=True)
    index = 0
    checked = False
    elements = _pull_elements(stream, parser)
    try:
        while True:
            try:
                element = next(elements)
            except StopIteration as done:
                root = done.value
                break
            if not checked:
                checked = True
                unsafe = _unsafe_dtd(element)
                if unsafe:
                    yield ReadProblem(source, unsafe, line=1, fatal=True)
                    return
            if element.tag == "ERROR":
                yield ReadProblem(source, f"NCBI returned an error: {_clean(element_text(element)) or '(empty)'}",
                                  line=element.sourceline, fatal=True)
                return
            parent = element.getparent()
            if element.tag == "MedlineCitation" and parent is not None and parent.tag == "PubmedArticle":
                continue  # read with its PubmedArticle
            index += 1
            if index <= skip:
                element.clear(keep_tail=True)
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
                continue
            line = element.sourceline
            record = pubmed_record(element)
            element.clear(keep_tail=True)
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
            if not (record.title or record.pmid or record.doi):
                yield ReadProblem(source, "record has no title, PMID or DOI; skipped", line, index)
                continue
            yield from identifier_problems(record, source, line, index)
            yield record
    except etree.XMLSyntaxError as exc:
        where = f"{index} record(s) read before it" if index else "no record could be read"
        message = exc.msg or str(exc)
        if "amplification" in message or "reference loop" in message:
            text = (f"the document's entity declarations would expand explosively or reach outside the file "
                    f"({message}); refused without expanding anything; {where}")
        else:
            text = f"XML is truncated or malformed here ({message}); {where}"
        yield ReadProblem(source, text, line=exc.lineno or None, fatal=True)
        return
    if index == 0 and (root is None or root.tag not in ("PubmedArticleSet", "PubmedBookArticleSet")):
        yield ReadProblem(source, "no PubmedArticle or PubmedBookArticle records found", fatal=True)


def iter_pubmed_xml(stream: BinaryIO, source: str) -> Iterator[Record | ReadProblem]:
    """Records (and per-record problems) as they are parsed; a fatal problem ends the stream.

    A seekable stream is read by :func:`_chunk_records` (each ``PubmedArticle`` parsed on its own, 30 % less
    parsing time than ``iterparse``) as far as the document has the plain shape of NCBI's files; from the first
    thing that shape does not cover (or any error) the stream is read again from its start by
    :func:`_tree_records`, the ``iterparse`` reader, skipping the records already given. Both give the same
    records, problems, lines and messages (tests compare them on every corpus file).
    """
    seekable = getattr(stream, "seekable", None)
    if seekable is None or not seekable():
        yield from _tree_records(stream, source)
        return
    start = stream.tell()
    done = yield from _chunk_records(stream, source)
    if done is None:
        return
    stream.seek(start)
    yield from _tree_records(stream, source, skip=done)


# The document shape _chunk_records reads: an XML declaration (version 1.0, UTF-8), NCBI's DOCTYPE without an
# internal subset (so no entity can be declared), a <PubmedArticleSet> without attributes (so no namespace is
# declared around the articles), then <PubmedArticle> elements separated by whitespace.
_CHUNK_HEADER = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:<\?xml version=([\"'])1\.0\1(?: encoding=([\"'])(?i:utf-8)\2)?"
    rb"(?: standalone=([\"'])(?:yes|no)\3)? ?\?>)?[ \t\r\n]*"
    rb"(?:<!DOCTYPE PubmedArticleSet(?: PUBLIC \"[^\"<>\[\]]*\" \"[^\"<>\[\]]*\")?[ \t\r\n]*>[ \t\r\n]*)?"
    rb"<PubmedArticleSet>[ \t\r\n]*")
_ARTICLE_START = b"<PubmedArticle>"
_ARTICLE_END = b"</PubmedArticle>"
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_BLOCK = 1 << 20
_MAX_TAIL = 1 << 26


def _chunk_records(stream: BinaryIO, source: str) -> Generator[Record | ReadProblem, None, int | None]:
    """The fast reading of :func:`iter_pubmed_xml`: returns None when it read the whole document, else the
    number of records it gave before meeting something it leaves to :func:`_tree_records`.

    Why the results are the same as iterparse's: the header admits no entity or namespace declaration and only
    UTF-8, so an article's bytes parse on their own exactly as they do inside the document (and an article
    that does not parse on its own - an undeclared entity, a broken tag - is left to the tree reader, which
    reports what iterparse reports). An article is only given when its own bytes and everything before it
    were read: iterparse gives every record before an error too. Articles holding anything iterparse would
    report separately (a nested MedlineCitation, ERROR or second article tag) are left to the tree reader, and
    so is the end of the document unless it parses with the header and holds none of those tags.

    Line numbers are only needed for problems, so newlines are counted when a problem is reported (counting
    every article's newlines costs more than parsing it lightly), re-reading the stream if they have left
    the buffer.
    """
    origin = stream.tell()
    buffer = b""
    base = 0  # stream offset (from ``origin``) of buffer[0]
    eof = False
    counted, counted_line = 0, 1  # a stream offset and its 1-based line

    def fill(size: int) -> None:  # at least ``size`` bytes buffered, unless the stream ends first
        nonlocal buffer, eof
        while len(buffer) < size and not eof:
            block = stream.read(_BLOCK)
            if block:
                buffer += block
            else:
                eof = True

    def trim(pos: int) -> int:  # drop buffer[:pos]; the new offset of ``pos``
        nonlocal buffer, base
        buffer = buffer[pos:]
        base += pos
        return 0

    def line_of(offset: int) -> int:  # 1-based line of a stream offset at or after the last one counted
        nonlocal counted, counted_line
        if counted < base:  # the bytes in between have left the buffer: read them again
            resume = stream.tell()
            stream.seek(origin + counted)
            while counted < base:
                block = stream.read(min(_BLOCK, base - counted))
                if not block:
                    break
                counted_line += block.count(b"\n")
                counted += len(block)
            stream.seek(resume)
        counted_line += buffer.count(b"\n", counted - base, offset - base)
        counted = offset
        return counted_line

    fill(_BLOCK)
    first = buffer.find(_ARTICLE_START)
    if first == -1:
        return 0
    header = buffer[:first]
    if not _CHUNK_HEADER.fullmatch(header):
        return 0
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    pos = first
    index = 0
    while True:
        end = buffer.find(_ARTICLE_END, pos)
        while end == -1 and not eof:
            searched = len(buffer) - pos
            pos = trim(pos)
            fill(len(buffer) + _BLOCK)
            end = buffer.find(_ARTICLE_END, max(0, searched - len(_ARTICLE_END)))
        if end == -1:
            return index  # truncated: the tree reader reports it
        stop = end + len(_ARTICLE_END)
        try:
            element = etree.fromstring(buffer[pos:stop], parser)
        except etree.XMLSyntaxError:
            return index
        # iterparse reports each of these tags (its filter): only the article and its own citation may be here
        found = list(element.iter(_ARTICLE_TAGS))
        if len(found) != 2 or found[1].getparent() is not element:
            return index
        index += 1
        record = normalize_record(_journal_article(element, found[1]), in_place=True)
        del element, found
        if not (record.title or record.pmid or record.doi):
            yield ReadProblem(source, "record has no title, PMID or DOI; skipped", line_of(base + pos), index)
        else:
            if (record.doi or record.pmid or record.pmcid) and record.identifier_problems():
                yield from identifier_problems(record, source, line_of(base + pos), index)
            yield record
        pos = stop
        while True:  # whitespace, then the next article or the end of the document
            gap = _WHITESPACE.match(buffer, pos).end()  # type: ignore[union-attr]
            if gap < len(buffer) or eof:
                break
            pos = trim(pos)
            fill(len(buffer) + _BLOCK)
        pos = gap
        if len(buffer) < pos + len(_ARTICLE_START):
            fill(pos + len(_ARTICLE_START))
        if buffer.startswith(_ARTICLE_START, pos):
            if pos > _BLOCK:
                pos = trim(pos)
            continue
        # the rest of the document: well-formed with the header, and nothing in it iterparse would report
        pos = trim(pos)
        fill(_MAX_TAIL + 1)
        if len(buffer) > _MAX_TAIL:
            return index
        try:
            root = etree.fromstring(header + buffer, parser)
        except etree.XMLSyntaxError:
            return index
        if next(root.iter(_ARTICLE_TAGS), None) is not None:
            return index
        return None


def check_pubmed_xml(data: bytes, source: str) -> ReadProblem | None:
    """The fatal problem of a fetched document (broken XML, NCBI error, declared entities), or None - without
    building records, so a client can accept a batch quickly and read it later."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return ReadProblem(source, f"XML is truncated or malformed here ({exc.msg})", exc.lineno or None, fatal=True)
    unsafe = _unsafe_dtd(root)
    if unsafe:
        return ReadProblem(source, unsafe, line=1, fatal=True)
    error = root if root.tag == "ERROR" else _first(root, "ERROR")
    if error is not None:
        return ReadProblem(source, f"NCBI returned an error: {_leaf_text(error) or '(empty)'}", error.sourceline,
                           fatal=True)
    if root.tag not in ("PubmedArticleSet", "PubmedBookArticleSet"):
        return ReadProblem(source, "no PubmedArticle or PubmedBookArticle records found", fatal=True)
    return None


@gc_paused
def read_pubmed_xml(data: bytes, source: str) -> ReadResult:
    """Read a whole PubMed XML document held in memory (see :func:`iter_pubmed_xml` for files)."""
    result = ReadResult(format="pubmed-xml")
    for item in iter_pubmed_xml(io.BytesIO(data), source):
        if isinstance(item, Record):
            result.records.append(item)
        else:
            result.problems.append(item)
    return result
