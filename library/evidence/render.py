"""An entry's reference block, in the shape the encyclopedia shows it: "Cited in this entry" (numbered,
formatted citations with DOI / PubMed links) and "Discussed in — Research library" (each study with its design
and evidence level).

Formatted citations come from :mod:`library.export.citeproc` (one formatter for the whole project); the numbers
are the citation numbers of the links, not positions, because they must match the superscripts in the entry's
text. Every piece of record text is escaped for the output format (HTML: ``html.escape``; Markdown: backslash
escapes), and only http(s) addresses become links, so a record cannot inject markup into a page.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import quote

from ..export.citeproc import format_citation
from ..identifiers import normalize_doi
from ..model import Record
from .design import DESIGN_LABELS
from .level import parse_level
from .links import EntryReferences

__all__ = ["FORMATS", "RETRACTED_HTML", "UNNUMBERED_NOTE", "design_label", "identifier_links", "level_label",
           "render_references"]

FORMATS = ("md", "html", "json", "text")
CITED_HEADING = "Cited in this entry"
DISCUSSED_HEADING = "Discussed in — Research library"
PENDING_HEADING = "Not yet in the research library"
# an HTML <ol> numbers every item: a citation without a number would show the browser's next one, which no
# superscript of the entry's text has, so such citations are listed after it, unnumbered (the published block too)
UNNUMBERED_NOTE = "Also cited in this entry, without a reference number:"
# an encyclopedia must not cite or discuss a retracted study without saying so: every format marks it, first
RETRACTED_HTML = '<strong class="retracted">Retracted.</strong>'
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def design_label(design: str) -> str:
    return DESIGN_LABELS.get(design, design) if design else "Design not classified"


def level_label(level: str) -> str:
    """'OCEBM2011 therapy 2' -> 'Level 2 (therapy, OCEBM 2011)'; unparsable text is shown as written."""
    if not level:
        return "Level not graded"
    try:
        return parse_level(level).label()
    except ValueError:
        return level


def identifier_links(record: Record) -> list[tuple[str, str]]:
    """(label, https URL) for the DOI, PubMed, PMC and — when there is no DOI — the record's own web address."""
    links = []
    if record.doi_key:
        links.append(("DOI", "https://doi.org/" + quote(normalize_doi(record.doi), safe="/:;()._-")))
    if record.pmid.strip().isdecimal():
        links.append(("PubMed", f"https://pubmed.ncbi.nlm.nih.gov/{record.pmid.strip()}/"))
    pmcid = record.pmcid.strip().upper()
    if re.fullmatch(r"PMC\d+", pmcid):
        links.append(("PMC", f"https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}/"))
    if not record.doi_key and re.match(r"^https?://[^\s<>\"']+$", record.url.strip()):
        links.append(("Link", record.url.strip()))
    return links


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _discussed_line(record: Record) -> str:
    """'Title. Author et al. Journal. Year' — the short form the research library list shows."""
    author = record.first_author_family()
    if author and len(record.authors) > 1:
        author += " et al"
    parts = [" ".join(p.split()) for p in (record.title, author, record.journal, str(record.year or "")) if p]
    text = ""
    for part in parts:
        text += part if not text else (" " if text[-1] in ".?!" else ". ") + part
    return text


def _md_retracted(record: Record) -> str:
    return "**Retracted.** " if record.retracted else ""


def _text_retracted(record: Record) -> str:
    return "[Retracted] " if record.retracted else ""


def _to_verify(record: Record) -> str:
    """For the editor (md and text, never the html readers see): the fields still to check against a source."""
    return record.unverified.strip() if record.verification == "unverified" else ""


def _md_unverified(record: Record) -> str:
    fields = _to_verify(record)
    return f" *(Still to verify: {_md(fields)})*" if fields else ""


def _text_unverified(record: Record) -> str:
    fields = _to_verify(record)
    return f" (still to verify: {' '.join(fields.split())})" if fields else ""


def _html_retracted(record: Record) -> str:
    return RETRACTED_HTML + " " if record.retracted else ""


def _evidence(record: Record) -> str:
    return f"{design_label(record.effective_design)} · {level_label(record.effective_level)}"


def _as_json(refs: EntryReferences, style: str) -> str:
    def study(record: Record) -> dict[str, Any]:
        return {"key": record.key, "title": record.title, "year": record.year, "journal": record.journal,
                "doi": record.doi, "pmid": record.pmid, "design": record.effective_design,
                "design_label": design_label(record.effective_design), "level": record.effective_level,
                "level_label": level_label(record.effective_level), "retracted": record.retracted,
                "links": [{"label": label, "url": url} for label, url in identifier_links(record)]}

    data = {
        "entry": refs.entry.as_dict() if refs.entry else {"slug": refs.slug},
        "style": style,
        "cited": [{"number": number, "citation": format_citation(record, style, "text"), **study(record)}
                  for number, record in refs.cited],
        "discussed": [study(record) for record in refs.discussed],
        "pending": refs.pending,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _as_md(refs: EntryReferences, style: str) -> str:
    title = refs.entry.title if refs.entry else refs.slug
    lines = [f"## {_md(title)}", ""]
    if refs.entry and refs.entry.url.startswith(("https://", "http://")):
        lines += [f"<{refs.entry.url}>", ""]
    lines += [f"### {CITED_HEADING}", ""]
    previous: int | None = 0
    for number, record in refs.cited:
        gap = number is None or previous is None or number != previous + 1
        if gap and previous != 0:  # Markdown renumbers a list from its first item: start a new list at a gap
            lines += ["", "<!-- -->", ""]
        previous = number
        links = " · ".join(f"[{label}]({url})" for label, url in identifier_links(record))
        marker = f"{number}." if number is not None else "-"
        lines.append(f"{marker} {_md_retracted(record)}{format_citation(record, style, 'md')}"
                     + (f" {links}" if links else "") + _md_unverified(record))
    if not refs.cited:
        lines.append("_None._")
    lines += ["", f"### {DISCUSSED_HEADING}", ""]
    for record in refs.discussed:
        links = " · ".join(f"[{label}]({url})" for label, url in identifier_links(record))
        lines.append(f"- {_md_retracted(record)}{_md(_discussed_line(record))} — {_md(_evidence(record))}"
                     + (f" {links}" if links else "") + _md_unverified(record))
    if not refs.discussed:
        lines.append("_None._")
    if refs.pending:
        lines += ["", f"*{PENDING_HEADING}:*", ""]
        lines += [f"- {_md(title)}" for title in refs.pending]
    return "\n".join(lines) + "\n"


def _as_text(refs: EntryReferences, style: str) -> str:
    lines = [refs.entry.title if refs.entry else refs.slug]
    if refs.entry and refs.entry.url:
        lines.append(refs.entry.url)
    lines += ["", CITED_HEADING]
    for number, record in refs.cited:
        urls = " ".join(url for _, url in identifier_links(record))
        lines.append(f"{number if number is not None else '-'}. {_text_retracted(record)}"
                     f"{format_citation(record, style, 'text')}" + (f" {urls}" if urls else "")
                     + _text_unverified(record))
    lines += ["", DISCUSSED_HEADING]
    for record in refs.discussed:
        lines.append(f"- {_text_retracted(record)}{_discussed_line(record)} — {_evidence(record)}"
                     + _text_unverified(record))
    if refs.pending:
        lines += ["", PENDING_HEADING + ":"] + [f"- {title}" for title in refs.pending]
    return "\n".join(lines) + "\n"


def _html_links(record: Record, text: str = "") -> str:
    """Identifier links not already linked inside ``text`` (the citation shows 'doi:...' and 'PMID: ...')."""
    return " ".join(f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'
                    for label, url in identifier_links(record) if f'href="{html.escape(url, quote=True)}"' not in text)


def _link_identifiers(citation: str, record: Record) -> str:
    """The citation's own DOI and PMID (already escaped text) as links, once each, instead of repeating them
    as separate 'DOI' and 'PubMed' links beside it."""
    for label, url in identifier_links(record):
        if label not in ("DOI", "PubMed"):
            continue
        value = html.escape(url.rstrip("/").rsplit("/", 1)[-1] if label == "PubMed"
                            else url.removeprefix("https://doi.org/"))
        at = citation.find(value)
        if value and at >= 0 and "<a " not in citation[max(0, at - 60):at]:
            anchor = f'<a href="{html.escape(url, quote=True)}">{value}</a>'
            citation = citation[:at] + anchor + citation[at + len(value):]
    return citation


def _as_html(refs: EntryReferences, style: str, library_url: str = "") -> str:
    """A complete section for the entry's page: the entry's title (linked to the entry), the numbered cited
    list, the discussed list with design and level, and the studies not yet in the library. With
    ``library_url`` (the dashboard's address) every study links to its page in the research library."""
    esc = html.escape
    title = refs.entry.title if refs.entry else refs.slug
    entry_url = refs.entry.url if refs.entry and refs.entry.url.startswith(("https://", "http://")) else ""
    base = library_url.rstrip("/") if library_url.startswith(("https://", "http://")) else ""

    def study_link(record: Record) -> str:
        if not base:
            return ""
        href = f"{base}/?study={quote(record.key, safe='')}"
        return f'<a class="library" href="{esc(href, quote=True)}">Research library</a>'

    heading = f'<a href="{esc(entry_url, quote=True)}">{esc(title)}</a>' if entry_url else esc(title)
    out = [f'<section class="reflib-references" data-entry="{esc(refs.slug, quote=True)}">',
           f"<h2>{heading}</h2>", f"<h3>{esc(CITED_HEADING)}</h3>"]
    def cited_item(number: int | None, record: Record) -> str:
        citation = _link_identifiers(format_citation(record, style, "html"), record)
        body = _html_retracted(record) + " ".join(
            p for p in (citation, _html_links(record, citation), study_link(record)) if p)
        where = f' value="{number}" id="{esc(refs.slug, quote=True)}-ref-{number}"' if number is not None else ""
        return f'<li{where} data-key="{esc(record.key, quote=True)}">{body}</li>'

    numbered = [(n, r) for n, r in refs.cited if n is not None]
    unnumbered = [r for n, r in refs.cited if n is None]
    if numbered:
        out += ["<ol>", *(cited_item(n, r) for n, r in numbered), "</ol>"]
    if unnumbered:
        out += [f'<p class="unnumbered">{esc(UNNUMBERED_NOTE)}</p>', '<ul class="unnumbered">',
                *(cited_item(None, r) for r in unnumbered), "</ul>"]
    if not refs.cited:
        out.append("<p>None.</p>")
    out.append(f"<h3>{esc(DISCUSSED_HEADING)}</h3>")
    if refs.discussed:
        out.append("<ul>")
        for record in refs.discussed:
            line = _discussed_line(record)
            line = esc(line + ("" if line.endswith((".", "?", "!")) else "."))
            evidence = f'<span class="evidence">{esc(_evidence(record))}.</span>'
            body = _html_retracted(record) + " ".join(
                p for p in (line, evidence, _html_links(record), study_link(record)) if p)
            out.append(f'<li data-key="{esc(record.key, quote=True)}">{body}</li>')
        out.append("</ul>")
    else:
        out.append("<p>None.</p>")
    if refs.pending:
        out += [f"<h3>{esc(PENDING_HEADING)}</h3>", '<ul class="pending">']
        out += [f"<li>{esc(title)}</li>" for title in refs.pending]
        out.append("</ul>")
    out.append("</section>")
    return "\n".join(out) + "\n"


def render_references(refs: EntryReferences, fmt: str = "md", style: str = "vancouver", library_url: str = "") -> str:
    """The reference block in ``fmt`` (md | html | json | text), citations in ``style`` (ama, vancouver, apa, mla);
    ``library_url`` (html): the dashboard's address, to link each study to its page there."""
    renderers = {"md": _as_md, "json": _as_json, "text": _as_text}
    if fmt == "html":
        return _as_html(refs, style, library_url)
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
    return renderers[fmt](refs, style)
