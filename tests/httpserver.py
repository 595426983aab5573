"""A real HTTP server on 127.0.0.1 for network tests and benchmarks: routes, scripted failures, a rate limit.

``LocalServer`` is a ``ThreadingHTTPServer`` on port 0. Each path has a handler (``route``) and may have a queue
of scripted replies served first (``script``): a 429 with Retry-After, a 500, a slow answer past the client's
timeout, a body cut off after N bytes (Content-Length announces the whole), invalid XML/JSON. With ``rate`` set,
a token bucket answers 429 (Retry-After: 1) to requests beyond it, as NCBI does. Every request is logged.

``FakeEutils`` answers ESearch/EFetch from a pool of real PubmedArticle records (split out of recorded EFetch
files), in NCBI's response formats; ``FakeCrossref`` serves recorded Crossref work bodies by DOI and pages of
a work list with cursors.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from lxml import etree

__all__ = ["FakeCrossref", "FakeEutils", "LocalServer", "Reply", "Request", "split_articles", "vary_articles"]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer starts
    truncate_at: int | None = None  # send only this many body bytes, then close the connection
    content_type: str = "text/xml; charset=UTF-8"


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float


Handler = Callable[[Request], Reply]


class _Bucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class LocalServer:
    def __init__(self, rate: float | None = None, burst: int | None = None) -> None:
        self.routes: dict[str, Handler] = {}
        self.scripted: dict[str, deque[Reply]] = {}
        self.requests: list[Request] = []
        self.rejected = 0
        self._lock = threading.Lock()
        self._bucket = _Bucket(rate, burst or max(1, int(rate))) if rate else None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/"

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def script(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self.scripted.setdefault(path, deque()).extend(replies)

    def calls(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> LocalServer:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            queue = self.scripted.get(request.path)
            scripted = queue.popleft() if queue else None
        if scripted is not None:
            return scripted
        if self._bucket is not None and not self._bucket.take():
            with self._lock:
                self.rejected += 1
            return Reply(429, b'{"error":"API rate limit exceeded","count":"4"}', {"Retry-After": "1"},
                         content_type="application/json")
        handler = self.routes.get(request.path) or next(
            (h for p, h in self.routes.items() if p.endswith("*") and request.path.startswith(p[:-1])), None)
        if handler is None:
            return Reply(404, b"Resource not found.", content_type="text/plain")
        return handler(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                pass

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = parse_qs(parts.query, keep_blank_values=True)
                if method == "POST" and body:
                    query.update(parse_qs(body.decode("utf-8"), keep_blank_values=True))
                params = {k: v[-1] for k, v in query.items()}
                request = Request(method, unquote(parts.path), params, dict(self.headers), body, time.monotonic())
                reply = server._answer(request)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.truncate_at is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    if reply.truncate_at is not None:
                        self.wfile.write(reply.body[: reply.truncate_at])
                        self.wfile.flush()
                        self.close_connection = True
                    else:
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return _Handler


# --- E-utilities ----------------------------------------------------------------------------------------------
def split_articles(data: bytes) -> dict[str, bytes]:
    """PMID -> serialized PubmedArticle/PubmedBookArticle element, from a recorded EFetch file."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    out: dict[str, bytes] = {}
    for element in root.iter("PubmedArticle", "PubmedBookArticle"):
        pmid = element.findtext(".//PMID") or ""
        element.tail = "\n"
        out[pmid.strip()] = etree.tostring(element, encoding="utf-8")
    return out


def vary_articles(articles: dict[str, bytes], count: int, first_pmid: int = 30000001) -> dict[str, bytes]:
    """``count`` records made by repeating real ones under new PMIDs (titles numbered so each differs)."""
    base = list(articles.values())
    out: dict[str, bytes] = {}
    for i in range(count):
        pmid = str(first_pmid + i)
        xml = re.sub(rb"<PMID( [^>]*)?>\d+</PMID>", b"<PMID Version=\"1\">" + pmid.encode() + b"</PMID>",
                     base[i % len(base)], count=1)
        xml = re.sub(rb'(<ArticleId IdType="pubmed">)\d+', rb"\g<1>" + pmid.encode(), xml, count=1)
        xml = re.sub(rb'<ArticleId IdType="(?:doi|pmc)">[^<]*</ArticleId>', b"", xml)
        xml = re.sub(rb'<ELocationID EIdType="doi"[^>]*>[^<]*</ELocationID>', b"", xml)
        xml = re.sub(rb"(<ArticleTitle[^>]*>)", rb"\g<1>[" + str(i).encode() + rb"] ", xml, count=1)
        out[pmid] = xml
    return out


_HEAD = b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'


class FakeEutils:
    """ESearch (with the history server) and EFetch over a pool of PubmedArticle records.

    ``searches`` maps a search term to the PMIDs it finds (default: every PMID in the pool, newest first).
    """

    def __init__(self, articles: dict[str, bytes], searches: dict[str, list[str]] | None = None) -> None:
        self.articles = articles
        self.searches = searches or {}
        self.history: dict[str, list[str]] = {}

    def install(self, server: LocalServer) -> FakeEutils:
        server.route("/esearch.fcgi", self.esearch)
        server.route("/efetch.fcgi", self.efetch)
        return self

    def esearch(self, request: Request) -> Reply:
        term = request.params.get("term", "")
        if not term.strip():
            return Reply(200, b"<eSearchResult><ERROR>Empty term and query_key - nothing todo</ERROR></eSearchResult>")
        dois = re.findall(r'"([^"]+)"\[doi\]', term)
        if dois:  # DOI look-ups, as enrichment does them
            wanted = {d.lower() for d in dois}
            ids = [pmid for pmid, xml in self.articles.items()
                   if any(d.decode().lower() in wanted for d in re.findall(rb'IdType="doi">([^<]+)<', xml))]
        else:
            ids = list(self.searches.get(term, sorted(self.articles, key=int, reverse=True)))
        start, count = int(request.params.get("retstart", 0)), int(request.params.get("retmax", 20))
        webenv = ""
        parts = [f"<Count>{len(ids)}</Count><RetMax>{min(count, max(0, len(ids) - start))}</RetMax>"
                 f"<RetStart>{start}</RetStart>"]
        if request.params.get("usehistory") == "y":
            webenv = f"MCID_fake{len(self.history)}"
            self.history[webenv] = ids
            parts.append(f"<QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv>")
        id_list = "".join(f"<Id>{i}</Id>\n" for i in ids[start:start + count])
        parts.append(f"<IdList>\n{id_list}</IdList><TranslationSet/><QueryTranslation>{term}</QueryTranslation>")
        body = ('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch '
                '20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
                f"<eSearchResult>{''.join(parts)}</eSearchResult>\n")
        return Reply(200, body.encode())

    def efetch(self, request: Request) -> Reply:
        params = request.params
        if "WebEnv" in params:
            ids = self.history.get(params["WebEnv"])
            if ids is None:
                return Reply(200, b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>")
            start, count = int(params.get("retstart", 0)), int(params.get("retmax", 20))
            ids = ids[start:start + count]
        else:
            ids = [i for i in params.get("id", "").split(",") if i]
        return Reply(200, self.document(ids))

    def document(self, ids: Iterable[str]) -> bytes:
        body = b"".join(self.articles[i] for i in ids if i in self.articles)
        return _HEAD + b"<PubmedArticleSet>\n" + body + b"</PubmedArticleSet>\n"


# --- Crossref -------------------------------------------------------------------------------------------------
class FakeCrossref:
    """``/works/{doi}`` from recorded single-work bodies; ``/works?query=`` pages a work list by cursor."""

    def __init__(self, works: dict[str, bytes], items: list[dict[str, object]] | None = None) -> None:
        self.works = {doi.lower(): body for doi, body in works.items()}
        self.items = items or []

    def install(self, server: LocalServer) -> FakeCrossref:
        server.route("/works/*", self.work)
        server.route("/works", self.search)
        return self

    def work(self, request: Request) -> Reply:
        doi = request.path.removeprefix("/works/").lower()
        body = self.works.get(doi)
        if body is None:
            return Reply(404, b"Resource not found.", content_type="text/plain")
        return Reply(200, body, content_type="application/json")

    def search(self, request: Request) -> Reply:
        rows = int(request.params.get("rows", 20))
        cursor = request.params.get("cursor", "*")
        start = 0 if cursor == "*" else int(cursor.removeprefix("c"))
        page = self.items[start:start + rows]
        message = {"facets": {}, "total-results": len(self.items), "items": page, "items-per-page": rows,
                   "query": {"start-index": 0, "search-terms": request.params.get("query")},
                   "next-cursor": f"c{start + len(page)}"}
        body = json.dumps({"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                           "message": message}).encode()
        return Reply(200, body, content_type="application/json")
