"""One study: its list summary, its page body and the metadata tools read (Highwire ``citation_*`` tags for
Zotero and Google Scholar, schema.org ``MedicalScholarlyArticle`` JSON-LD)."""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from typing import Any, NamedTuple

from ..evidence.encyclopedia import Encyclopedia
from ..export.parts import (
    holds_direction_controls,
    iso_date,
    kind_of,
    month_number,
    page_range,
    publisher_of,
    without_direction_controls,
)
from ..latex import squash_spaces
from ..model import Author, Record
from ..study_view import IdentifierLink, abstract_sections, identifier_links, journal_line, reader_keywords
from .config import PublishConfig
from .markup import esc, json_string, safe_href
from .slugs import is_slug, topic_slug

__all__ = ["STYLE_LABELS", "Summary", "head_metadata", "highwire_tags", "json_ld", "public_record", "study_body",
           "study_parts", "summarize"]

STYLE_LABELS = {"apa": "APA 7", "vancouver": "Vancouver (NLM)", "mla": "MLA 9", "ama": "AMA 11"}
_INITIALS = re.compile(r"[\s.\-]+")
_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")


class Summary(NamedTuple):
    """What lists, feeds, search and entry blocks need of a study (kept between runs: no record parse then)."""

    key: str
    slug: str
    title: str
    authors: str
    year: int | None
    journal: str
    design: str
    level: str
    topics: tuple[str, ...]
    stance: str
    status: str
    added: str
    modified: str
    links: tuple[tuple[str, str, int | None], ...]
    row: str  # <li> of list pages one folder below the root ('' in a summary read from the state: row_of)
    search: tuple[str, ...]  # search document: slug, title, authors, year, journal, design, topics, abstract
    tldr: str
    retracted: bool
    old_slugs: tuple[str, ...] = ()  # earlier addresses of the study (``slug_old``): redirect pages


@lru_cache(maxsize=1 << 16)
def _initials(given: str) -> str:
    """'Ben W. J.' -> 'BWJ' (given names recur across a library: worked out once each)."""
    return "".join([p[0] for p in _INITIALS.split(given) if p])


def _short_authors(authors: list[Author], limit: int = 3) -> str:
    named = [a for a in authors if not a.is_others]  # "and others": the list goes on
    names = [a.literal or (f"{a.family} {_initials(a.given)}".strip() if a.given else a.family.strip())
             + (f" {a.suffix}" if a.suffix else "") for a in named[:limit]]
    return ", ".join(names) + (" et al." if len(named) > limit or (names and len(named) < len(authors)) else "")


def status_of(record: Record) -> str:
    return record.verification or "unknown"


def old_slugs_of(record: Record) -> tuple[str, ...]:
    """The record's earlier slugs (``slug_old``, space-separated), valid ones only."""
    olds = record.extra.get("slug_old")
    return tuple(s for s in olds.split() if is_slug(s)) if olds else ()


def public_record(record: Record) -> Record:
    """What the site shows of a record: the editors' internal keyword markers (``trial:H2Oil``) left out, as the
    dashboard's reader mode leaves them out, a URL of a scheme no page links to (``javascript:``, ``data:``)
    dropped, and explicit bidirectional overrides and isolates removed from the title, abstract and container, so
    that none of them reaches the citations, the RIS file, the meta tags, the JSON-LD or the dump. The record
    itself when nothing is left out (the usual case: no copy)."""
    keywords = reader_keywords(record.keywords) if record.keywords else record.keywords
    url = record.url if not record.url or safe_href(record.url) else ""
    shown = [record.title, record.abstract, record.journal, record.booktitle]
    names = [part for a in (*record.authors, *record.editors) for part in (a.family, a.given, a.literal, a.suffix)]
    spoofed = any(map(holds_direction_controls, (*shown, *names)))
    if len(keywords) == len(record.keywords) and url == record.url and not spoofed:
        return record
    out = dataclasses.replace(record, keywords=keywords, url=url)
    if spoofed:  # explicit direction overrides reorder the text around them on the page ("Trojan Source")
        out.title, out.abstract, out.journal, out.booktitle = map(without_direction_controls, shown)
        out.authors, out.editors = _plain_names(record.authors), _plain_names(record.editors)
    return out


def _plain_names(people: list[Author]) -> list[Author]:
    return [dataclasses.replace(a, family=without_direction_controls(a.family), given=without_direction_controls(
        a.given), literal=without_direction_controls(a.literal), suffix=without_direction_controls(a.suffix))
        for a in people]


def _row(slug: str, title: str, authors: str, journal: str, year: int | None, design: str, retracted: bool) -> str:
    meta = " · ".join(p for p in (authors, f"{journal} {year or ''}".strip(), design) if p)
    badges = '<span class="badge warn">Retracted</span> ' if retracted else ""
    return (f'<li><a href="../library/{slug}.html">{esc(title or "(untitled)")}</a> {badges}'
            f'<span class="meta">{esc(meta)}</span></li>')


def row_of(s: Summary) -> str:
    """The study's ``<li>`` on list pages: made when the summary was, or now from its fields (the site's state
    does not store rows: a third of its size, and a republish shows few of them)."""
    return s.row or _row(s.slug, s.title, s.authors, s.journal, s.year, s.design, s.retracted)


def summarize(record: Record, slug: str) -> Summary:
    authors = _short_authors(record.authors)
    design = record.effective_design
    journal = record.journal or record.booktitle or record.publisher
    year = record.year
    row = _row(slug, record.title, authors, journal, year, design, record.retracted)
    topics = tuple(record.all_topics)
    names = ", ".join([a.display() for a in record.authors if not a.is_others])
    search = (slug, record.title, names, str(year or ""), journal, design, "; ".join(topics),
              squash_spaces(record.abstract))
    links = tuple((lk.slug, lk.kind, lk.number) for lk in record.links)
    return Summary(record.key, slug, record.title, authors, year, journal, design, record.effective_level, topics,
                   record.stance, status_of(record), record.added, record.modified, links, row, search,
                   record.synopsis.tldr, record.retracted, old_slugs_of(record))


# --- metadata ----------------------------------------------------------------------------------------------
class _Facts(NamedTuple):
    """What several parts of a study page use, worked out once per page."""

    links: list[IdentifierLink]  # DOI, PubMed, PMC and web links (chips, JSON-LD ``sameAs``)
    abstract: str  # the abstract with its white space squashed (Highwire tag, JSON-LD)
    first_page: str
    last_page: str
    date: tuple[int, ...]  # (year[, month])
    topics: list[str]


def _facts(record: Record) -> _Facts:
    first, last = page_range(record.pages)
    return _Facts(identifier_links(record), squash_spaces(record.abstract), first, last, _date_parts(record),
                  record.all_topics)


def _date_parts(record: Record) -> tuple[int, ...]:
    if record.year is None:
        return ()
    month = month_number(record.month) if record.month else None
    return (record.year, month) if month else (record.year,)


def highwire_tags(record: Record) -> list[tuple[str, str]]:
    """(name, content) of the ``citation_*`` meta tags, in the order Google Scholar documents them."""
    return _highwire(record, _facts(record))


def _highwire(record: Record, facts: _Facts) -> list[tuple[str, str]]:
    out = [(name, squash_spaces(value)) for name, value in _tag_values(record, facts) if value and not value.isspace()]
    if facts.abstract:
        out.append(("citation_abstract", facts.abstract))
    out += [("citation_keywords", squash_spaces(k)) for k in record.keywords if k and not k.isspace()]
    return out


def _tag_values(record: Record, facts: _Facts) -> list[tuple[str, str]]:
    """The tags before the abstract, their values as the record has them (empty ones too)."""
    tags: list[tuple[str, str]] = [("citation_title", record.title)]
    tags += [("citation_author", a.display()) for a in record.authors if not a.is_others]
    parts = facts.date
    if parts:
        tags.append(("citation_publication_date", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))))
    kind = kind_of(record)
    report = kind == "report"
    if kind == "chapter":  # Google Scholar reads the first, Zotero's Embedded Metadata the second
        tags += (("citation_inbook_title", record.booktitle), ("citation_book_title", record.booktitle))
    elif kind == "conference":
        tags.append(("citation_conference_title", record.booktitle))
    elif kind == "thesis":
        tags.append(("citation_dissertation_institution", publisher_of(record)))
    elif report:
        tags += (("citation_technical_report_institution", publisher_of(record)),
                 ("citation_technical_report_number", record.issue))
    else:
        tags.append(("citation_journal_title", record.journal))
    tags += (("citation_journal_abbrev", record.journal_abbrev), ("citation_publisher", record.publisher),
             ("citation_volume", record.volume), ("citation_issue", "" if report else record.issue),
             ("citation_firstpage", facts.first_page), ("citation_lastpage", facts.last_page),
             ("citation_doi", record.doi), ("citation_pmid", record.pmid), ("citation_issn", record.issn),
             ("citation_isbn", record.isbn), ("citation_language", record.language))
    return tags


def _full_name(person: Author) -> str:
    """'Given Family' ('Given Family Suffix': "Frank R. Thompson III")."""
    name = f"{person.given} {person.family}".strip()
    return f"{name} {person.suffix}" if person.suffix else name


def _any_named(people: list[Author]) -> bool:
    return any(not a.is_others for a in people)


def _people(people: list[Author]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for a in people:
        if a.is_others:
            continue
        if a.literal:
            out.append({"@type": "Organization", "name": a.literal})
            continue
        person: dict[str, Any] = {"@type": "Person", "name": _full_name(a), "familyName": a.family}
        if a.given:
            person["givenName"] = a.given
        if a.suffix:
            person["honorificSuffix"] = a.suffix
        match = _ORCID.match(a.orcid.strip()) if a.orcid else None
        if match:
            person["sameAs"] = f"https://orcid.org/{match.group(1)}"
        out.append(person)
    return out


def json_ld(record: Record, url: str) -> dict[str, Any]:
    """schema.org ``MedicalScholarlyArticle`` of the study."""
    return _json_ld(record, url, _facts(record))


def _json_ld(record: Record, url: str, facts: _Facts) -> dict[str, Any]:
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "MedicalScholarlyArticle",
                            "headline": record.title, "name": record.title}
    if url:
        data["url"] = url
    if _any_named(record.authors):
        data["author"] = _people(record.authors)
    if _any_named(record.editors):
        data["editor"] = _people(record.editors)
    parts = facts.date
    if parts:
        data["datePublished"] = "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))
    container: dict[str, Any] | None = None
    if record.journal:
        container = {"@type": "Periodical", "name": record.journal}
        if record.journal_abbrev:
            container["alternateName"] = record.journal_abbrev
        if record.issn:
            container["issn"] = record.issn
        if record.volume:
            container = {"@type": "PublicationVolume", "volumeNumber": record.volume, "isPartOf": container}
        if record.issue:
            container = {"@type": "PublicationIssue", "issueNumber": record.issue, "isPartOf": container}
        data["isPartOf"] = container
    elif record.booktitle and kind_of(record) in ("chapter", "conference"):
        book: dict[str, Any] = {"@type": "Book", "name": record.booktitle}
        if record.isbn:
            book["isbn"] = record.isbn
        data["isPartOf"] = book
    publisher = publisher_of(record)
    if publisher:
        data["publisher"] = {"@type": "Organization", "name": publisher}
    if facts.first_page:
        data["pageStart"] = facts.first_page
    if facts.last_page:
        data["pageEnd"] = facts.last_page
    identifiers = []
    if record.doi:
        identifiers.append({"@type": "PropertyValue", "propertyID": "DOI", "value": record.doi})
    if record.pmid:
        identifiers.append({"@type": "PropertyValue", "propertyID": "PMID", "value": record.pmid})
    if record.pmcid:
        identifiers.append({"@type": "PropertyValue", "propertyID": "PMCID", "value": record.pmcid})
    if identifiers:
        data["identifier"] = identifiers
    same = [link.url for link in facts.links if link.label in ("DOI", "PubMed")]
    if same:
        data["sameAs"] = same
    if record.abstract:
        data["abstract"] = facts.abstract
    if record.keywords:
        data["keywords"] = "; ".join(record.keywords)
    if facts.topics:
        data["about"] = [{"@type": "Thing", "name": t} for t in facts.topics]
    if record.language:
        data["inLanguage"] = record.language
    return data


def head_metadata(record: Record, url: str) -> str:
    """The Highwire meta tags and the JSON-LD script of the study page's head: ``citation_*`` tags of
    :func:`highwire_tags`, :func:`json_ld` as :func:`~.markup.json_script` writes it."""
    return _head(record, url, _facts(record))


def _head(record: Record, url: str, facts: _Facts) -> str:
    metas = [f'<meta name="{name}" content="{esc(value)}">\n' for name, value in _highwire(record, facts)]
    metas += ('<script type="application/ld+json">', *_json_ld_text(record, url, facts), "</script>\n")
    return "".join(metas)


def _json_ld_text(record: Record, url: str, facts: _Facts) -> list[str]:
    """``json_script(json_ld(record, url))`` in pieces, written directly: the keys are fixed text, each value is
    quoted once (:func:`~.markup.json_string`), and no dict is built (twice as fast; the same text, tested)."""
    q = json_string
    title = q(record.title)
    out = ['{"@context":"https://schema.org","@type":"MedicalScholarlyArticle","headline":', title, ',"name":', title]
    if url:
        out += (',"url":', q(url))
    if _any_named(record.authors):
        out += (',"author":[', _people_text(record.authors), "]")
    if _any_named(record.editors):
        out += (',"editor":[', _people_text(record.editors), "]")
    if facts.date:
        out += (',"datePublished":', q("-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(facts.date))))
    if record.journal:
        container = f'{{"@type":"Periodical","name":{q(record.journal)}'
        if record.journal_abbrev:
            container += f',"alternateName":{q(record.journal_abbrev)}'
        if record.issn:
            container += f',"issn":{q(record.issn)}'
        container += "}"
        if record.volume:
            container = f'{{"@type":"PublicationVolume","volumeNumber":{q(record.volume)},"isPartOf":{container}}}'
        if record.issue:
            container = f'{{"@type":"PublicationIssue","issueNumber":{q(record.issue)},"isPartOf":{container}}}'
        out += (',"isPartOf":', container)
    elif record.booktitle and kind_of(record) in ("chapter", "conference"):
        isbn = f',"isbn":{q(record.isbn)}' if record.isbn else ""
        out += (',"isPartOf":', f'{{"@type":"Book","name":{q(record.booktitle)}{isbn}}}')
    publisher = publisher_of(record)
    if publisher:
        out += (',"publisher":', f'{{"@type":"Organization","name":{q(publisher)}}}')
    if facts.first_page:
        out += (',"pageStart":', q(facts.first_page))
    if facts.last_page:
        out += (',"pageEnd":', q(facts.last_page))
    identifiers = [f'{{"@type":"PropertyValue","propertyID":"{name}","value":{q(value)}}}'
                   for name, value in (("DOI", record.doi), ("PMID", record.pmid), ("PMCID", record.pmcid)) if value]
    if identifiers:
        out += (',"identifier":[', ",".join(identifiers), "]")
    same = [q(link.url) for link in facts.links if link.label in ("DOI", "PubMed")]
    if same:
        out += (',"sameAs":[', ",".join(same), "]")
    if record.abstract:
        out += (',"abstract":', q(facts.abstract))
    if record.keywords:
        out += (',"keywords":', q("; ".join(record.keywords)))
    if facts.topics:
        out += (',"about":', _about(tuple(facts.topics)))
    if record.language:
        out += (',"inLanguage":', q(record.language))
    out.append("}")
    return out


def _people_text(people: list[Author]) -> str:
    """:func:`_people` as JSON text."""
    q = json_string
    out = []
    for a in people:
        if a.is_others:
            continue
        if a.literal:
            out.append(f'{{"@type":"Organization","name":{q(a.literal)}}}')
            continue
        person = f'{{"@type":"Person","name":{q(_full_name(a))},"familyName":{q(a.family)}'
        if a.given:
            person += f',"givenName":{q(a.given)}'
        if a.suffix:
            person += f',"honorificSuffix":{q(a.suffix)}'
        match = _ORCID.match(a.orcid.strip()) if a.orcid else None
        if match:
            person += f',"sameAs":{q(f"https://orcid.org/{match.group(1)}")}'
        out.append(person + "}")
    return ",".join(out)


@lru_cache(maxsize=4096)
def _about(topics: tuple[str, ...]) -> str:  # few distinct topic lists: made once each
    return "[" + ",".join(f'{{"@type":"Thing","name":{json_string(t)}}}' for t in topics) + "]"


# --- page body ---------------------------------------------------------------------------------------------
def _badges(record: Record, config: PublishConfig) -> str:
    out = []
    if record.retracted:
        out.append('<span class="badge warn">Retracted</span>')
    if record.stance in ("critical", "hostile"):
        out.append(f'<span class="badge warn">{esc(record.stance.capitalize())} of the field</span>')
    design = record.design or record.design_auto
    if design:
        out.append(f'<span class="badge">{esc(design)}</span>')
    level = record.level or record.level_auto
    if level:
        out.append(f'<span class="badge">Evidence level {esc(level)}</span>')
    if record.relevance:
        out.append(f'<span class="badge">Relevance {record.relevance}/5</span>')
    return " ".join(out)


def _authors(record: Record) -> str:
    names = []
    for a in record.authors:
        if a.is_others:
            continue
        name = esc(a.literal or _full_name(a))
        match = _ORCID.match(a.orcid.strip()) if a.orcid else None
        if match:
            name += f' <a href="https://orcid.org/{match.group(1)}" rel="nofollow">ORCID</a>'
        names.append(name)
    truncated = names and len(names) < len(record.authors)  # BibTeX's "and others"
    return ", ".join(names) + (" et al." if truncated else "")


@lru_cache(maxsize=4096)
def _topic_links(topics: tuple[str, ...]) -> str:  # few distinct topic lists: made once each
    return ", ".join(f'<a href="../topics/{topic_slug(t)}.html">{esc(t)}</a>' for t in topics)


# the cite-this items' markup around each style's string
_CITE_ITEMS = tuple((style, f'<h3>{label}</h3><p class="cite" id="cite-{style}">',
                     f'</p><button type="button" data-copy="cite-{style}" hidden>Copy</button>')
                    for style, label in STYLE_LABELS.items())


def study_body(record: Record, slug: str, cites: dict[str, str], entries: Encyclopedia,
               config: PublishConfig) -> str:
    """The study page's main content, without the related studies (they depend on other records)."""
    return _body(record, slug, cites, entries, config, _facts(record))


def _body(record: Record, slug: str, cites: dict[str, str], entries: Encyclopedia, config: PublishConfig,
          facts: _Facts) -> str:
    parts = [f"<article>\n<h1>{esc(record.title or '(untitled)')}</h1>"]
    badges = _badges(record, config)
    if badges:
        parts.append(f"<p>{badges}</p>")
    if config.unverified_note and status_of(record) == "unverified":
        parts.append(f'<p class="badge warn">Details not yet verified: {esc(record.unverified)}</p>')
    if _any_named(record.authors):
        parts.append(f'<p class="authors">{_authors(record)}</p>')
    line = journal_line(record)
    if line:
        parts.append(f'<p class="meta">{esc(line)}</p>')
    chips = [f'<a href="{href}">{esc(link.label)}: {esc(link.value)}</a>' for link in facts.links
             if (href := safe_href(link.url))]
    if chips:
        parts.append(f'<p class="chips">{" ".join(chips)}</p>')
    syn = record.synopsis
    if syn.tldr or syn.findings or syn.implications:
        items = "".join(f"<dt>{label}</dt><dd>{esc(text)}</dd>" for label, text in
                        (("TL;DR", syn.tldr), ("Key findings", syn.findings),
                         ("Clinical implications", syn.implications)) if text)
        parts.append(f"<section><h2>Synopsis</h2><dl>{items}</dl></section>")
    if record.abstract:
        sections = "".join([f"<p><strong>{esc(label)}:</strong> {esc(text)}</p>" if label else f"<p>{esc(text)}</p>"
                            for label, text in abstract_sections(record.abstract)])
        parts.append(f"<section><h2>Abstract</h2>{sections}</section>")
    if facts.topics:
        parts.append(f"<p><strong>Topics:</strong> {_topic_links(tuple(facts.topics))}</p>")
    if record.keywords:
        parts.append(f"<p><strong>Keywords:</strong> {esc('; '.join(record.keywords))}</p>")
    linked = []
    for link in record.links:
        entry = entries.get(link.slug)
        if entry is None or not is_slug(link.slug):
            continue
        how = f"cited as [{link.number}]" if link.kind == "cited" and link.number else link.kind
        linked.append(f'<li><a href="../entries/{link.slug}.html">{esc(entry.title)}</a> ({how})</li>')
    if linked:
        parts.append(f"<section><h2>In the encyclopedia</h2><ul>{''.join(linked)}</ul></section>")
    cite = ["<section><h2>Cite this article</h2>"]
    for style, before, after in _CITE_ITEMS:
        text = cites.get(style, "")
        if text:
            cite += (before, text, after)
    cite += ('<p><a href="', slug, '.ris" download>Download RIS</a></p></section>')
    parts.append("".join(cite))
    parts.append("</article>")
    return "\n".join(parts)


def study_parts(record: Record, slug: str, cites: dict[str, str], entries: Encyclopedia, config: PublishConfig,
                url: str) -> tuple[str, str]:
    """(:func:`head_metadata`, :func:`study_body`) of a study page, the facts both use worked out once."""
    facts = _facts(record)
    return _head(record, url, facts), _body(record, slug, cites, entries, config, facts)


def added_date(summary: Summary) -> tuple[int, ...]:
    """When the study entered the library (for feeds), else its publication year."""
    return added_date_of(summary.added, summary.year)


def added_date_of(added: str, year: int | None) -> tuple[int, ...]:
    parts = iso_date(added) if added else ()
    if len(parts) == 3:
        return parts
    return (year or 1970, 1, 1)
