"""PubMed XML (EFetch ``db=pubmed&retmode=xml``, the PubMed baseline files) -> Records, streamed.

Parsing is safe by construction: lxml's ``iterparse`` with ``resolve_entities=False, no_network=True,
load_dtd=False, huge_tree=False``. NCBI's files never declare entities of their own, so a DOCTYPE with an
internal subset that declares ``<!ENTITY ...>`` (an entity-expansion "billion laughs" or an external-entity
"XXE" payload) is refused with a fatal :class:`ReadProblem` before any record is read: nothing is expanded and
no file or URL is opened. Elements are cleared as soon as their record is built, so memory stays flat however
large the file is.

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
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from library.model import Author, Record
from library.normalize import normalize_record, normalize_year, parse_date

from ..base import ReadProblem, ReadResult, identifier_problems

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
            parts.append(mathml_text(child) if _local(tag) == "math" else element_text(child))
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
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        return _WS.sub(" ", text).strip()
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
    year = _text(pub_date, "Year")
    if year:
        return normalize_year(year), _text(pub_date, "Month")
    medline = _text(pub_date, "MedlineDate")
    return parse_date(medline) if medline else (None, "")


def _abstract(parent: etree._Element | None) -> str:
    """Structured abstracts as "LABEL: text" paragraphs, separated by a blank line."""
    abstract = _first(parent, "Abstract")
    if abstract is None:
        return ""
    return _paragraphs(abstract)


def _paragraphs(abstract: etree._Element) -> str:
    paragraphs = []
    for part in abstract.iterchildren("AbstractText"):
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
    headings = []
    for heading in mesh_list:
        parts: list[str] = []
        for term in heading:
            if term.tag == "DescriptorName" or (term.tag == "QualifierName" and parts):
                parts.append(("*" if term.get("MajorTopicYN") == "Y" else "") + _leaf_text(term))
        if parts:
            headings.append("/".join(parts))
    return headings


def _keywords(parent: etree._Element) -> list[str]:
    return _texts(parent, "KeywordList/Keyword")


def _ids(article: etree._Element) -> dict[str, str]:
    """IdType -> value from the record's own ArticleIdList (not the ones of its references)."""
    ids: dict[str, str] = {}
    for path in ("PubmedData/ArticleIdList/ArticleId", "PubmedBookData/ArticleIdList/ArticleId",
                 "BookDocument/ArticleIdList/ArticleId"):
        for element in _walk(article, path):
            kind = (element.get("IdType") or "").lower()
            value = _clean(element.text or "")
            if kind and value:
                ids.setdefault(kind, value)
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


def _kids(element: etree._Element | None) -> dict[str, etree._Element]:
    """Tag -> first child with that tag (one pass instead of one search per field)."""
    out: dict[str, etree._Element] = {}
    if element is not None:
        for child in element:
            if isinstance(child.tag, str):
                out.setdefault(child.tag, child)
    return out


def _get(kids: dict[str, etree._Element], tag: str) -> str:
    found = kids.get(tag)
    return _leaf_text(found) if found is not None else ""


def _journal_article(article: etree._Element, citation: etree._Element) -> Record:
    record = Record(key="", entry_type="article")
    record.pmid = _pmid(citation)
    cit = _kids(citation)
    art_element = cit.get("Article")
    art = _kids(art_element)
    journal = _kids(art.get("Journal"))
    issue = _kids(journal.get("JournalIssue"))
    info = _kids(cit.get("MedlineJournalInfo"))
    vernacular = _get(art, "VernacularTitle")
    record.title = _get(art, "ArticleTitle") or vernacular
    record.journal = _get(journal, "Title")
    record.journal_abbrev = _get(info, "MedlineTA") or _get(journal, "ISOAbbreviation")
    record.issn = ", ".join(dict.fromkeys(t for t in (_get(info, "ISSNLinking"), _get(journal, "ISSN")) if t))
    record.volume = _get(issue, "Volume")
    record.issue = _get(issue, "Issue")
    record.year, record.month = _date(issue.get("PubDate"))
    if record.year is None:
        record.year, record.month = _date(art.get("ArticleDate"))
    pagination = _kids(art.get("Pagination"))
    pages = _get(pagination, "MedlinePgn")
    if not pages:
        start, end = _get(pagination, "StartPage"), _get(pagination, "EndPage")
        pages = f"{start}-{end}" if start and end else start
    record.pages = pages
    record.authors = _authors(art_element)
    record.abstract = _abstract(art_element)
    record.language = (_texts(art_element, "Language") or [""])[0]
    record.pubtypes = _texts(art_element, "PublicationTypeList/PublicationType")
    record.mesh = _mesh(citation)
    record.keywords = _keywords(citation)
    ids = _ids(article)
    record.doi = ids.get("doi") or _elocation_doi(art_element)
    record.pmcid = ids.get("pmc", "")
    record.pmid = record.pmid or ids.get("pubmed", "")
    _retraction(record, citation)
    other = [_paragraphs(e) for e in citation.iterchildren("OtherAbstract")]
    extra = {"abstract_other": "\n\n".join(o for o in other if o),
             "origtitle": vernacular if vernacular and vernacular != record.title else "",
             "annote": "; ".join(_texts(citation, "GeneralNote"))}
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
    return normalize_record(record)


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


def iter_pubmed_xml(stream: BinaryIO, source: str) -> Iterator[Record | ReadProblem]:
    """Records (and per-record problems) as they are parsed; a fatal problem ends the stream."""
    context = etree.iterparse(stream, events=("end",), tag=_ARTICLE_TAGS, resolve_entities=False,
                              no_network=True, load_dtd=False, huge_tree=False, remove_comments=True)
    index = 0
    checked = False
    try:
        for _event, element in context:
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
    root = context.root
    if index == 0 and (root is None or root.tag not in ("PubmedArticleSet", "PubmedBookArticleSet")):
        yield ReadProblem(source, "no PubmedArticle or PubmedBookArticle records found", fatal=True)


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


def read_pubmed_xml(data: bytes, source: str) -> ReadResult:
    """Read a whole PubMed XML document held in memory (see :func:`iter_pubmed_xml` for files)."""
    result = ReadResult(format="pubmed-xml")
    for item in iter_pubmed_xml(io.BytesIO(data), source):
        if isinstance(item, Record):
            result.records.append(item)
        else:
            result.problems.append(item)
    return result
