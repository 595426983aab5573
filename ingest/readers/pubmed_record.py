"""One PubMed XML article element -> a normalized Record (pure; the streaming lives in pubmed_xml).

Mapping (NLM's PubMed DTD element names):

* ``PMID`` pmid; ``PubmedData/ArticleIdList`` ``doi`` / ``pmc`` (``ELocationID EIdType="doi"`` as fallback);
* ``ArticleTitle`` title (``VernacularTitle`` when there is no English title) - inline tags (``<i>``, ``<b>``,
  ``<sup>``, ``<sub>``, ``<u>``) are dropped keeping their text; MathML is flattened to linear text (``x^2``,
  ``a_i``, ``(a+1)/b``, ``√(x)``, fences and matrices as brackets); comments are ignored;
* ``Abstract/AbstractText``: one paragraph each, ``LABEL: text`` for structured abstracts, paragraphs
  separated by a blank line (``OtherAbstract`` goes to ``extra["abstract_other"]``);
* ``AuthorList`` (``ValidYN="N"`` entries skipped): ``LastName``/``ForeName`` (``Initials`` when no fore
  name; ``Suffix`` the suffix), ``CollectiveName`` -> ``Author(literal=...)``, ORCID
  identifiers kept;
* ``Journal/Title`` journal, ``MedlineTA`` (the NLM abbreviation Vancouver citations use; ``ISOAbbreviation``
  when absent) journal_abbrev; ``ISSNLinking`` first, then ``ISSN``; ``Volume``, ``Issue``;
  ``MedlinePgn`` pages ("561-7" -> "561--567" by the normalizer; ``StartPage``/``EndPage`` as fallback; without
  ``Pagination``, a ``pii`` ``ELocationID`` that is an article number, as PubMed cites it);
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
"""

from __future__ import annotations

from lxml import etree

from library.model import Author, Record
from library.normalize import normalize_record, normalize_year, parse_date

from ..base import article_number
from .pubmed_authors import list_authors, read_authors
from .xml_text import clean_text, element_text, leaf_text, text_or_empty

_AFFILIATIONS = "Author/AffiliationInfo/Affiliation"

__all__ = ["BOOKSHELF_URL", "journal_article", "mesh_headings", "pubmed_record"]

BOOKSHELF_URL = "https://www.ncbi.nlm.nih.gov/books/"


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
    return leaf_text(found) if found is not None else ""


def _texts(parent: etree._Element | None, path: str) -> list[str]:
    return [t for t in (leaf_text(e) for e in _walk(parent, path)) if t]


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
    year_text = text_or_empty(year)
    if year_text:
        return normalize_year(year_text), text_or_empty(month)
    medline_text = text_or_empty(medline)
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
        text = clean_text(element_text(part))
        label = clean_text(part.get("Label") or "")
        if label and label.upper() != "UNLABELLED":
            text = f"{label}: {text}" if text else f"{label}:"
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def mesh_headings(mesh_list: etree._Element) -> list[str]:
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
                text = leaf_text(term)
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
                value = clean_text(element.text or "")
                if value:
                    ids[kind] = value
    return ids


def _elocation_doi(parent: etree._Element | None) -> str:
    if parent is None:
        return ""
    for element in parent.iterchildren("ELocationID"):
        if element.get("EIdType") == "doi" and element.get("ValidYN") != "N":
            return clean_text(element.text or "")
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
    found = [(int(v) if (v := e.get("Version", "1")).isdecimal() else 1, clean_text(e.text or ""))
             for e in parent.iterchildren("PMID")]
    return max(found)[1] if found else ""


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


def journal_article(article: etree._Element, citation: etree._Element) -> Record:
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
        record.pmid = clean_text(pmids[0].text or "")
    elif pmids:
        record.pmid = max((int(v) if (v := e.get("Version", "1")).isdecimal() else 1, clean_text(e.text or ""))
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
    vernacular = text_or_empty(vernacular_element)
    record.title = text_or_empty(title) or vernacular
    record.journal = text_or_empty(journal_title)
    record.journal_abbrev = text_or_empty(medline_ta) or text_or_empty(iso)
    linking, issn_text = text_or_empty(issn_linking), text_or_empty(issn)
    record.issn = (f"{linking}, {issn_text}" if linking != issn_text else linking) if linking and issn_text else (
        linking or issn_text)
    record.volume = text_or_empty(volume)
    record.issue = text_or_empty(issue_number)
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
        pages = text_or_empty(medline_pages)
        if not pages:
            start, end = text_or_empty(start_page), text_or_empty(end_page)
            pages = f"{start}-{end}" if start and end else start
        record.pages = pages
    if not record.pages:  # an electronic-only article: PubMed cites its number, given only as a pii
        record.pages = article_number(text_or_empty(e) for e in elocations
                                      if e.get("EIdType") == "pii" and e.get("ValidYN") != "N")
    authors: list[Author] = []
    affiliations: list[str] = []
    for author_list in author_lists:
        if (author_list.get("Type") or "authors") != "authors":
            continue
        list_authors(author_list, authors)
        affiliations += [" ".join(leaf_text(e).split()) for e in author_list.iterfind(_AFFILIATIONS)]
    record.authors = authors
    if abstract is not None:
        record.abstract = _paragraphs(abstract)
    for element in languages:
        language = text_or_empty(element)
        if language:
            record.language = language
            break
    pubtypes = []
    for pubtype_list in pubtype_lists:
        for element in pubtype_list:
            if element.tag == "PublicationType":
                text = text_or_empty(element)
                if text:
                    pubtypes.append(text)
    record.pubtypes = pubtypes
    if mesh_list is not None:
        record.mesh = mesh_headings(mesh_list)
    if keyword_lists:
        record.keywords = [t for t in (text_or_empty(e) for lst in keyword_lists for e in lst if e.tag == "Keyword")
                           if t]
    ids = _ids(article)
    doi = ids.get("doi")
    if not doi:
        for element in elocations:
            if element.get("EIdType") == "doi" and element.get("ValidYN") != "N":
                doi = clean_text(element.text or "")
                break
    record.doi = doi or ""
    record.pmcid = ids.get("pmc", "")
    record.pmid = record.pmid or ids.get("pubmed", "")
    if corrections or "Retracted Publication" in record.pubtypes:
        _retraction(record, citation)
    abstract_other = "\n\n".join(o for o in (_paragraphs(e) for e in others) if o) if others else ""
    annote = "; ".join(t for t in (text_or_empty(e) for e in notes) if t) if notes else ""
    origtitle = vernacular if vernacular and vernacular != record.title else ""
    # the authors' affiliations (AffiliationInfo), each once, '; '-separated as Scopus exports them
    affiliation = "; ".join(dict.fromkeys(a.rstrip(";") for a in affiliations if a))
    if abstract_other or origtitle or annote or affiliation:
        extra = {"abstract_other": abstract_other, "origtitle": origtitle, "annote": annote,
                 "affiliations": affiliation}
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
    record.authors = read_authors(document) or read_authors(book)
    record.editors = read_authors(book, "editors") or read_authors(document, "editors")
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
        record = journal_article(article, article)
    else:
        citation = _first(article, "MedlineCitation")
        record = journal_article(article, citation) if citation is not None else Record(key="")
    return normalize_record(record, in_place=True)


