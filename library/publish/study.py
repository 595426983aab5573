"""One study: its list summary, its page body and the metadata tools read (Highwire ``citation_*`` tags for
Zotero and Google Scholar, schema.org ``MedicalScholarlyArticle`` JSON-LD)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from ..evidence.encyclopedia import Encyclopedia
from ..export.parts import iso_date, month_number, page_range
from ..latex import squash_spaces
from ..model import Author, Record
from ..study_view import abstract_sections, identifier_links, journal_line
from .config import PublishConfig
from .markup import esc, json_script, safe_href
from .slugs import is_slug, topic_slug

__all__ = ["STYLE_LABELS", "Summary", "highwire_tags", "json_ld", "study_body", "summarize"]

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
    names = [a.literal or (f"{a.family} {_initials(a.given)}".strip() if a.given else a.family.strip())
             for a in authors[:limit]]
    return ", ".join(names) + (" et al." if len(authors) > limit else "")


def status_of(record: Record) -> str:
    return record.verification or "unknown"


def old_slugs_of(record: Record) -> tuple[str, ...]:
    """The record's earlier slugs (``slug_old``, space-separated), valid ones only."""
    olds = record.extra.get("slug_old")
    return tuple(s for s in olds.split() if is_slug(s)) if olds else ()


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
    search = (slug, record.title, ", ".join([a.display() for a in record.authors]), str(year or ""), journal,
              design, "; ".join(topics), squash_spaces(record.abstract))
    links = tuple((lk.slug, lk.kind, lk.number) for lk in record.links)
    return Summary(record.key, slug, record.title, authors, year, journal, design, record.effective_level, topics,
                   record.stance, status_of(record), record.added, record.modified, links, row, search,
                   record.synopsis.tldr, record.retracted, old_slugs_of(record))


# --- metadata ----------------------------------------------------------------------------------------------
def _date_parts(record: Record) -> tuple[int, ...]:
    if record.year is None:
        return ()
    month = month_number(record.month) if record.month else None
    return (record.year, month) if month else (record.year,)


def highwire_tags(record: Record) -> list[tuple[str, str]]:
    """(name, content) of the ``citation_*`` meta tags, in the order Google Scholar documents them."""
    tags: list[tuple[str, str]] = [("citation_title", record.title)]
    for author in record.authors:
        tags.append(("citation_author", author.literal or (f"{author.family}, {author.given}" if author.given
                                                             else author.family)))
    parts = _date_parts(record)
    if parts:
        tags.append(("citation_publication_date", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))))
    if record.entry_type in ("incollection", "inbook", "inproceedings"):
        tags.append(("citation_inbook_title" if record.entry_type != "inproceedings" else "citation_conference_title",
                     record.booktitle))
    else:
        tags.append(("citation_journal_title", record.journal))
    tags.append(("citation_journal_abbrev", record.journal_abbrev))
    tags.append(("citation_publisher", record.publisher))
    tags.append(("citation_volume", record.volume))
    tags.append(("citation_issue", record.issue))
    first, last = page_range(record.pages)
    tags.append(("citation_firstpage", first))
    tags.append(("citation_lastpage", last))
    tags.append(("citation_doi", record.doi))
    tags.append(("citation_pmid", record.pmid))
    tags.append(("citation_issn", record.issn))
    tags.append(("citation_isbn", record.isbn))
    tags.append(("citation_language", record.language))
    tags.append(("citation_abstract", squash_spaces(record.abstract)))
    for keyword in record.keywords:
        tags.append(("citation_keywords", keyword))
    return [(name, value if name == "citation_abstract" else " ".join(value.split()))  # (squashed already)
            for name, value in tags if value and value.strip()]


def json_ld(record: Record, url: str) -> dict[str, Any]:
    """schema.org ``MedicalScholarlyArticle`` of the study."""
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "MedicalScholarlyArticle",
                            "headline": record.title, "name": record.title}
    if url:
        data["url"] = url
    authors = []
    for a in record.authors:
        if a.literal:
            authors.append({"@type": "Organization", "name": a.literal})
        else:
            person: dict[str, Any] = {"@type": "Person", "name": f"{a.given} {a.family}".strip(),
                                      "familyName": a.family}
            if a.given:
                person["givenName"] = a.given
            match = _ORCID.match(a.orcid.strip()) if a.orcid else None
            if match:
                person["sameAs"] = f"https://orcid.org/{match.group(1)}"
            authors.append(person)
    if authors:
        data["author"] = authors
    parts = _date_parts(record)
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
    first, last = page_range(record.pages)
    if first:
        data["pageStart"] = first
    if last:
        data["pageEnd"] = last
    identifiers = []
    if record.doi:
        identifiers.append({"@type": "PropertyValue", "propertyID": "DOI", "value": record.doi})
    if record.pmid:
        identifiers.append({"@type": "PropertyValue", "propertyID": "PMID", "value": record.pmid})
    if record.pmcid:
        identifiers.append({"@type": "PropertyValue", "propertyID": "PMCID", "value": record.pmcid})
    if identifiers:
        data["identifier"] = identifiers
    same = [link.url for link in identifier_links(record) if link.label in ("DOI", "PubMed")]
    if same:
        data["sameAs"] = same
    if record.abstract:
        data["abstract"] = squash_spaces(record.abstract)
    if record.keywords:
        data["keywords"] = "; ".join(record.keywords)
    if record.all_topics:
        data["about"] = [{"@type": "Thing", "name": t} for t in record.all_topics]
    if record.language:
        data["inLanguage"] = record.language
    return data


def head_metadata(record: Record, url: str) -> str:
    metas = "".join(f'<meta name="{name}" content="{esc(value)}">\n' for name, value in highwire_tags(record))
    return metas + f'<script type="application/ld+json">{json_script(json_ld(record, url))}</script>\n'


# --- page body ---------------------------------------------------------------------------------------------
def _badges(record: Record, config: PublishConfig) -> str:
    out = []
    if record.retracted:
        out.append('<span class="badge warn">Retracted</span>')
    if record.stance in ("critical", "hostile"):
        out.append(f'<span class="badge warn">{esc(record.stance.capitalize())} of the field</span>')
    if record.effective_design:
        out.append(f'<span class="badge">{esc(record.effective_design)}</span>')
    if record.effective_level:
        out.append(f'<span class="badge">Evidence level {esc(record.effective_level)}</span>')
    if record.relevance:
        out.append(f'<span class="badge">Relevance {record.relevance}/5</span>')
    return " ".join(out)


def _authors(record: Record) -> str:
    names = []
    for a in record.authors:
        name = esc(a.literal or f"{a.given} {a.family}".strip())
        match = _ORCID.match(a.orcid.strip()) if a.orcid else None
        if match:
            name += f' <a href="https://orcid.org/{match.group(1)}" rel="nofollow">ORCID</a>'
        names.append(name)
    return ", ".join(names)


def study_body(record: Record, slug: str, cites: dict[str, str], entries: Encyclopedia,
               config: PublishConfig) -> str:
    """The study page's main content, without the related studies (they depend on other records)."""
    parts = [f"<article>\n<h1>{esc(record.title or '(untitled)')}</h1>"]
    badges = _badges(record, config)
    if badges:
        parts.append(f"<p>{badges}</p>")
    if config.unverified_note and status_of(record) == "unverified":
        parts.append(f'<p class="badge warn">Details not yet verified: {esc(record.unverified)}</p>')
    if record.authors:
        parts.append(f'<p class="authors">{_authors(record)}</p>')
    line = journal_line(record)
    if line:
        parts.append(f'<p class="meta">{esc(line)}</p>')
    hrefs = [(safe_href(link.url), link) for link in identifier_links(record)]
    chips = [f'<a href="{href}">{esc(link.label)}: {esc(link.value)}</a>' for href, link in hrefs if href]
    if chips:
        parts.append(f'<p class="chips">{" ".join(chips)}</p>')
    syn = record.synopsis
    if not syn.is_empty():
        items = "".join(f"<dt>{label}</dt><dd>{esc(text)}</dd>" for label, text in
                        (("TL;DR", syn.tldr), ("Key findings", syn.findings),
                         ("Clinical implications", syn.implications)) if text)
        parts.append(f"<section><h2>Synopsis</h2><dl>{items}</dl></section>")
    if record.abstract:
        sections = "".join(f"<p><strong>{esc(label)}:</strong> {esc(text)}</p>" if label else f"<p>{esc(text)}</p>"
                           for label, text in abstract_sections(record.abstract))
        parts.append(f"<section><h2>Abstract</h2>{sections}</section>")
    if record.all_topics:
        links = ", ".join(f'<a href="../topics/{topic_slug(t)}.html">{esc(t)}</a>' for t in record.all_topics)
        parts.append(f"<p><strong>Topics:</strong> {links}</p>")
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
    cite_items = []
    for style, label in STYLE_LABELS.items():
        text = cites.get(style, "")
        if text:
            cite_items.append(f'<h3>{label}</h3><p class="cite" id="cite-{style}">{text}</p>'
                              f'<button type="button" data-copy="cite-{style}" hidden>Copy</button>')
    cite_items.append(f'<p><a href="{slug}.ris" download>Download RIS</a></p>')
    parts.append(f"<section><h2>Cite this article</h2>{''.join(cite_items)}</section>")
    parts.append("</article>")
    return "\n".join(parts)


def added_date(summary: Summary) -> tuple[int, ...]:
    """When the study entered the library (for feeds), else its publication year."""
    return added_date_of(summary.added, summary.year)


def added_date_of(added: str, year: int | None) -> tuple[int, ...]:
    parts = iso_date(added) if added else ()
    if len(parts) == 3:
        return parts
    return (year or 1970, 1, 1)
