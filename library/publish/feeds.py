"""RSS 2.0 and Atom 1.0 feeds of the newest studies (by the date they entered the library).

Feeds need absolute links; without a ``base_url`` in ``publish.toml`` they use ``http://localhost/`` and say so
in the channel description, so they still validate (the preview server serves them)."""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Sequence
from email.utils import format_datetime
from functools import lru_cache
from itertools import compress
from operator import attrgetter

from .markup import esc
from .study import Summary, added_date, added_date_of

__all__ = ["atom_feed", "rss_feed"]

LOCAL = "http://localhost/"


def _when(summary: Summary) -> dt.datetime:
    year, month, day = added_date(summary)
    try:
        return dt.datetime(year, month, day, tzinfo=dt.UTC)
    except ValueError:
        return dt.datetime(year, 1, 1, tzinfo=dt.UTC)


@lru_cache(maxsize=65536)
def _added(added: str, year: int | None) -> tuple[int, ...]:  # few distinct dates: parsed once each
    return added_date_of(added, year)


def _order_key(summary: Summary) -> tuple[tuple[int, ...], str]:
    return (_added(summary.added, summary.year), summary.key)


def newest(items: Sequence[Summary], limit: int) -> list[Summary]:
    """The ``limit`` newest (by date added, then key), newest first. A long list is narrowed first to the studies
    of the latest dates that hold at least ``limit`` of them (counted per distinct (added, year) pair, of which
    there are few), so that the date of each study is not looked up in Python: the same result as ranking all."""
    if len(items) <= 8 * limit:
        return heapq.nlargest(limit, items, key=_order_key)
    keys = list(zip(map(_added_of, items), map(_year_of, items), strict=True))
    pairs = Counter(keys)
    if len(pairs) * 4 > len(items):  # dates too varied for the narrowing to pay
        return heapq.nlargest(limit, items, key=_order_key)
    chosen: set[tuple[str, int | None]] = set()
    taken, threshold = 0, None
    for pair in sorted(pairs, key=lambda p: _added(*p), reverse=True):
        date = _added(*pair)
        if threshold is not None and date != threshold:
            break
        chosen.add(pair)
        taken += pairs[pair]
        if taken >= limit:
            threshold = date  # every other pair of this same date is taken too (ties are broken by key)
    candidates = list(compress(items, map(chosen.__contains__, keys)))
    return heapq.nlargest(limit, candidates, key=_order_key)


_added_of, _year_of = attrgetter("added"), attrgetter("year")


def rss_feed(title: str, page_url: str, self_url: str, description: str, items: Sequence[Summary],
             base: str) -> str:
    """``items`` newest first; links are ``base`` + 'library/<slug>.html' (slugs are sanitized)."""
    latest = format_datetime(_when(items[0])) if items else format_datetime(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
           f"<channel>\n<title>{esc(title)}</title>\n<link>{esc(page_url)}</link>\n"
           f"<description>{esc(description)}</description>\n<language>en</language>\n"
           f"<lastBuildDate>{latest}</lastBuildDate>\n"
           f'<atom:link href="{esc(self_url)}" rel="self" type="application/rss+xml"/>']
    for s in items:
        link = f"{base}library/{s.slug}.html"
        text = s.tldr or " · ".join(p for p in (s.authors, f"{s.journal} {s.year or ''}".strip(), s.design) if p)
        out.append(f"<item>\n<title>{esc(s.title or '(untitled)')}</title>\n<link>{esc(link)}</link>\n"
                   f'<guid isPermaLink="true">{esc(link)}</guid>\n<pubDate>{format_datetime(_when(s))}</pubDate>\n'
                   f"<description>{esc(text)}</description>\n</item>")
    out.append("</channel>\n</rss>\n")
    return "\n".join(out)


def atom_feed(title: str, page_url: str, self_url: str, items: Sequence[Summary], base: str) -> str:
    updated = (_when(items[0]) if items else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).isoformat()
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
           f"<title>{esc(title)}</title>\n<id>{esc(self_url)}</id>\n<updated>{updated}</updated>\n"
           f'<link rel="self" href="{esc(self_url)}"/>\n<link rel="alternate" type="text/html" href="{esc(page_url)}"/>'
           f"\n<author><name>{esc(title)}</name></author>"]
    for s in items:
        link = f"{base}library/{s.slug}.html"
        text = s.tldr or " · ".join(p for p in (s.authors, f"{s.journal} {s.year or ''}".strip(), s.design) if p)
        authors = f"<author><name>{esc(s.authors)}</name></author>\n" if s.authors else ""
        out.append(f"<entry>\n<title>{esc(s.title or '(untitled)')}</title>\n<id>{esc(link)}</id>\n"
                   f'<link rel="alternate" type="text/html" href="{esc(link)}"/>\n'
                   f"<updated>{_when(s).isoformat()}</updated>\n{authors}<summary>{esc(text)}</summary>\n</entry>")
    out.append("</feed>\n")
    return "\n".join(out)
