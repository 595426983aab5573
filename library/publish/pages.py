"""The site's list pages (library index, topics, designs), encyclopedia reference blocks and the sitemap,
built from study :class:`~library.publish.study.Summary` rows (no record is parsed for them)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from ..evidence.encyclopedia import Entry
from ..evidence.render import RETRACTED_HTML, UNNUMBERED_NOTE
from .config import PublishConfig
from .markup import esc, page
from .study import Summary, row_of

__all__ = ["entry_block", "list_pages", "sitemap_files", "topic_closure"]

Write = Callable[[str, str], None]


def topic_closure(topics: Sequence[str]) -> tuple[str, ...]:
    """A study's topics and every ancestor: a parent's page includes its subtopics' studies."""
    return _closure(tuple(topics))


@lru_cache(maxsize=4096)
def _closure(topics: tuple[str, ...]) -> tuple[str, ...]:  # few distinct topic sets: cached across 100k studies
    out: dict[str, None] = {}
    for topic in topics:
        parts = [p.strip() for p in topic.split(">") if p.strip()]
        for depth in range(1, len(parts) + 1):
            out.setdefault(" > ".join(parts[:depth]), None)
    return tuple(out)


def _pager(name: str, number: int, total: int) -> str:
    """Links to the first and last pages and to the pages near this one (not all of them: a 100k-study list has
    500 pages, and listing every page on every page would make the pager quadratic)."""
    if total <= 1:
        return ""
    shown = sorted({1, total, *range(max(1, number - 5), min(total, number + 5) + 1)})
    links, last = [], 0
    for n in shown:
        if n > last + 1:
            links.append("…")
        href = f"{name}.html" if n == 1 else f"{name}-page-{n}.html"
        links.append(f"<span>{n}</span>" if n == number else f'<a href="{href}">{n}</a>')
        last = n
    return f'<nav class="pages">Pages: {" ".join(links)}</nav>'


def list_pages(write: Write, folder: str, name: str, title: str, intro: str, items: Sequence[Summary],
               config: PublishConfig, *, head_extra: str = "", before_list: str = "", after: str = "",
               scripts: str = "", feeds: tuple[tuple[str, str, str], ...] = (),
               unchanged: tuple[Sequence[Summary], Callable[[str], bool]] | None = None,
               keep_first: bool = True) -> list[str]:
    """Paginated list pages ``folder/name.html``, ``folder/name-page-2.html`` ...; returns their paths.

    ``unchanged``: (the items of the last run, ``keep``) when nothing else on the pages changed since then: a
    page whose rows are the same as that run's is kept by ``keep(path)`` (True when the file is still known)
    instead of being made again; only when the count is the same (it is in every page's introduction), and not
    the first page when ``keep_first`` is False (its ``before_list`` may have changed)."""
    size = config.page_size
    total = max(1, -(-len(items) // size))
    old_items, keep = unchanged if unchanged is not None and len(unchanged[0]) == len(items) else ((), None)
    paths = []
    for number in range(1, total + 1):
        chunk = items[(number - 1) * size: number * size]
        if keep is not None and (number > 1 or keep_first):
            path = f"{folder}/{name}.html" if number == 1 else f"{folder}/{name}-page-{number}.html"
            old_chunk = old_items[(number - 1) * size: number * size]
            if all(a is b or row_of(a) == row_of(b) for a, b in zip(old_chunk, chunk, strict=True)) and keep(path):
                paths.append(path)
                continue
        rows = "\n".join(map(row_of, chunk))
        heading = f"<h1>{esc(title)}</h1>\n<p>{intro}</p>\n{before_list if number == 1 else ''}"
        listing = (f'<div id="plain-list"><ul class="studies">\n{rows}\n</ul>\n{_pager(name, number, total)}</div>'
                   if chunk else '<p id="plain-list">No studies yet.</p>')
        path = f"{folder}/{name}.html" if number == 1 else f"{folder}/{name}-page-{number}.html"
        label = title if number == 1 else f"{title} (page {number})"
        write(path, page(label, heading + listing + (after if number == 1 else ""), "../", config.site_title,
                         head=head_extra, scripts=scripts, feeds=feeds))
        paths.append(path)
    return paths


def _strength(s: Summary) -> tuple[int, int]:
    level = s.level.strip()
    return (int(level[-1]) if level[-1:].isdecimal() else 9, -(s.year or 0))  # not isdigit: "²" is one


def entry_block(entry: Entry, linked: Sequence[Summary], citations: dict[str, str], titles: set[str],
                config: PublishConfig) -> tuple[str, dict[str, Any]]:
    """The reference block of an entry as an HTML fragment and as JSON: the numbered cited list, the discussed
    list (strongest evidence first) and the not-yet list (studies the entry names that are not in the library).
    Links are absolute when ``base_url`` is set (the fragment is meant for the encyclopedia's own pages)."""
    prefix = config.base_url or "../"
    cited: list[tuple[int | None, Summary]] = []
    discussed: list[Summary] = []
    for s in linked:
        for slug, kind, number in s.links:
            if slug != entry.slug:
                continue
            if kind == "cited":
                cited.append((number, s))
            elif kind == "discussed" and s not in discussed:
                discussed.append(s)
    cited.sort(key=lambda item: (item[0] is None, item[0] or 0, item[1].key))
    discussed.sort(key=_strength)
    pending = [t for t in entry.pending if t.casefold() not in titles]

    def url(s: Summary) -> str:
        return f"{prefix}library/{s.slug}.html"

    def mark(s: Summary) -> str:  # as `entry show` marks it: a retracted study is never cited without saying so
        return RETRACTED_HTML + " " if s.retracted else ""

    html_parts = [f'<section class="reflib-references" data-entry="{esc(entry.slug)}">']
    data: dict[str, Any] = {"entry": {"slug": entry.slug, "title": entry.title, "url": entry.url},
                            "cited": [], "discussed": [], "not_yet": pending}
    if cited:
        items: list[str] = []
        loose: list[str] = []
        for number, s in cited:
            text = citations.get(s.key) or esc(s.title)
            value = f' value="{number}"' if number else ""
            item = f'<li{value}>{mark(s)}{text} <a href="{esc(url(s))}">Study page</a></li>'
            (items if number else loose).append(item)
            data["cited"].append({"number": number, "key": s.key, "slug": s.slug, "title": s.title, "url": url(s),
                                  "citation_html": citations.get(s.key, ""), "retracted": s.retracted})
        lists = [f"<ol>\n{chr(10).join(items)}\n</ol>"] if items else []
        if loose:  # after the numbered list, never numbered by it (see render.UNNUMBERED_NOTE)
            lists.append(f'<p class="unnumbered">{esc(UNNUMBERED_NOTE)}</p>\n<ul class="unnumbered">\n'
                         f"{chr(10).join(loose)}\n</ul>")
        html_parts.append("<h2>Cited in this entry</h2>\n" + "\n".join(lists))
    if discussed:
        items = []
        for s in discussed:
            meta = " · ".join(p for p in (s.authors, f"{s.journal} {s.year or ''}".strip(), s.design, s.level) if p)
            items.append(f'<li>{mark(s)}<a href="{esc(url(s))}">{esc(s.title)}</a> '
                         f'<span class="meta">{esc(meta)}</span></li>')
            data["discussed"].append({"key": s.key, "slug": s.slug, "title": s.title, "url": url(s),
                                      "design": s.design, "level": s.level, "year": s.year,
                                      "retracted": s.retracted})
        html_parts.append(f"<h2>Discussed in — Research library</h2>\n<ul>\n{chr(10).join(items)}\n</ul>")
    if pending:
        items = [f"<li>{esc(t)}</li>" for t in pending]
        html_parts.append(f"<h2>Not yet in the library</h2>\n<ul>\n{chr(10).join(items)}\n</ul>")
    if len(html_parts) == 1:
        html_parts.append("<p>No studies are linked to this entry yet.</p>")
    html_parts.append("</section>\n")
    return "\n".join(html_parts), data


def sitemap_files(urls: Sequence[tuple[str, str]], base: str, limit: int = 50_000) -> dict[str, str]:
    """{path: xml}: ``sitemap.xml`` alone, or a sitemap index with ``sitemap-N.xml`` files of at most 50,000
    URLs each (the protocol's limit). ``urls`` are (site path, lastmod 'YYYY-MM-DD' or '')."""
    start = f"<url><loc>{esc(base)}"  # site paths are built from sanitized slugs: nothing to escape in them

    def urlset(chunk: Sequence[tuple[str, str]]) -> str:
        paths, mods = zip(*chunk, strict=True) if chunk else ((), ())
        # each row's end made once per distinct date (few), the rows put together in C
        ends = {mod: f"</loc><lastmod>{mod}</lastmod></url>\n" if mod else "</loc></url>\n" for mod in set(mods)}
        rows = "".join(map(operator.add, map(start.__add__, paths), map(ends.__getitem__, mods)))
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</urlset>\n')

    if len(urls) <= limit:
        return {"sitemap.xml": urlset(urls)}
    files = {}
    for i in range(0, len(urls), limit):
        files[f"sitemap-{i // limit + 1}.xml"] = urlset(urls[i:i + limit])
    index = "".join(f"<sitemap><loc>{esc(base + name)}</loc></sitemap>\n" for name in files)
    files["sitemap.xml"] = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{index}'
                            "</sitemapindex>\n")
    return files
