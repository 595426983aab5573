"""Crossref REST API: one work by DOI (``/works/{doi}``) and searches (``/works?query=``) paged by cursor.

Every call goes through the shared :class:`~ingest.http.HttpClient` (polite pool: ``mailto`` and a User-Agent
carrying it; the rate Crossref announces in ``X-Rate-Limit-*`` is honored). Bodies are checked with the Crossref
JSON reader before they are kept: invalid or truncated JSON is retried, then reported as
:class:`~ingest.http.BadResponse`. A DOI Crossref does not know is a :class:`~ingest.http.NotFound` naming it.
Search pages are spooled (:class:`~ingest.fetchstate.FetchedParts`) with the cursor of the next page, so an interrupted
search continues; Crossref cursors expire after a few minutes, so a stale one restarts the search.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from library.identifiers import normalize_doi

from .base import ReadResult
from .fetchstate import Fetched, FetchedParts
from .http import BadResponse, HttpClient, NotFound, RequestRejected
from .pubmed import parse_date_limit
from .readers.crossref_json import read_crossref_json

__all__ = ["Crossref", "Page", "collect_search", "collect_works"]

PAGE_ROWS = 100  # Crossref allows up to 1,000 rows per page; 100 keeps each answer quick
Progress = Callable[[int], None]


@dataclass(slots=True)
class Page:
    body: bytes
    result: ReadResult
    total: int
    next_cursor: str


class Crossref:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def _url(self, path: str) -> str:
        return self.http.settings.crossref_url.rstrip("/") + "/" + path

    def _checked(self, url: str, params: dict[str, Any], label: str) -> tuple[bytes, ReadResult]:
        settings = self.http.settings
        for attempt in range(settings.retries + 1):
            reply = self.http.get(url, params, service="crossref", what=label)
            result = read_crossref_json(reply.body, label)
            fatal = next((p for p in result.problems if p.fatal), None)
            if fatal is None:
                return reply.body, result
            if attempt == settings.retries:
                raise BadResponse(f"{label}: the answer was broken every time ({fatal.message}); nothing from it "
                                  "was kept - try again later")
            self.http.stats.retries += 1
            self.http.sleep(min(settings.max_wait, settings.backoff * 2 ** attempt))
        raise AssertionError("unreachable")

    def work(self, doi: str) -> tuple[bytes, ReadResult]:
        """The Crossref record of one DOI; NotFound with the DOI named when Crossref does not know it."""
        bare = normalize_doi(doi)
        label = f"Crossref work {bare}"
        try:
            return self._checked(self._url("works/" + quote(bare, safe="/()")), {}, label)
        except NotFound as exc:
            raise NotFound(f"Crossref does not know the DOI {bare} (HTTP 404); check it at https://doi.org/{bare}"
                           ) from exc

    def search_page(self, query: str, *, rows: int = PAGE_ROWS, cursor: str = "*", since: str | None = None,
                    sort: str | None = None) -> Page:
        if not query.strip():
            raise ValueError("the Crossref query is empty; give search terms")
        params: dict[str, Any] = {"query": query, "rows": rows, "cursor": cursor}
        if since:
            params["filter"] = "from-pub-date:" + parse_date_limit(since).replace("/", "-")
        if sort:
            params.update(sort=sort, order="desc")
        body, result = self._checked(self._url("works"), params, "Crossref search")
        message = json.loads(body).get("message", {})
        return Page(body, result, int(message.get("total-results") or 0), str(message.get("next-cursor") or ""))


def collect_works(crossref: Crossref, spool: FetchedParts, dois: Sequence[str], *,
                  progress: Progress | None = None) -> Fetched:
    """Each DOI's work, through the spool; NotFound stops the run (the parts fetched so far are kept)."""
    fetched = Fetched(total=len(dois))
    for number, doi in enumerate(dois):
        name = f"part-{number:05d}.json"
        data = spool.get(name)
        if data is not None:
            result = read_crossref_json(data, name)
            fetched.resumed_parts += 1
        else:
            data, result = crossref.work(doi)
            spool.put(name, data, records=len(result.records))
        fetched.records.extend(result.records)
        fetched.problems.extend(p for p in result.problems if not p.fatal)
        if progress is not None:
            progress(len(result.records))
    return fetched


def collect_search(crossref: Crossref, spool: FetchedParts, query: str, *, max_results: int, since: str | None = None,
                   sort: str | None = None, progress: Progress | None = None) -> Fetched:
    """Up to ``max_results`` works for a query, page by page through the spool (cursor kept in the plan)."""
    plan = spool.plan or {}
    fetched = Fetched(total=int(plan.get("total", 0)))
    for name in spool.part_names():
        data = spool.get(name)
        result = read_crossref_json(data or b"", name)
        fetched.records.extend(result.records)
        fetched.problems.extend(p for p in result.problems if not p.fatal)
        fetched.resumed_parts += 1
        if progress is not None:
            progress(len(result.records))
    cursor = str(plan.get("cursor", "*"))
    number = len(spool.part_names())
    while len(fetched.records) < max_results and cursor and not plan.get("done"):
        rows = min(PAGE_ROWS, max_results - len(fetched.records))
        try:
            page = crossref.search_page(query, rows=rows, cursor=cursor, since=since, sort=sort)
        except RequestRejected:
            if cursor == "*":
                raise
            for name in spool.part_names():  # the cursor expired: start over
                spool.forget(name)
            spool.update_plan(cursor="*", total=0)
            return collect_search(crossref, spool, query, max_results=max_results, since=since, sort=sort,
                                  progress=progress)
        spool.put(f"part-{number:05d}.json", page.body, records=len(page.result.records))
        number += 1
        fetched.total = page.total
        fetched.records.extend(page.result.records)
        fetched.problems.extend(p for p in page.result.problems if not p.fatal)
        if progress is not None:
            progress(len(page.result.records))
        done = not page.result.records or not page.next_cursor
        cursor = page.next_cursor
        spool.update_plan(cursor=cursor, total=page.total, done=done)
        plan = spool.plan or {}
    fetched.records = fetched.records[:max_results]
    return fetched
