"""PubMed through NCBI E-utilities: ESearch on the history server, then EFetch XML in batches of up to 200.

``PubMed.search`` runs ESearch with ``usehistory=y`` (the result set stays on NCBI's history server under a
WebEnv/query_key) and also collects the PMIDs, which make the fetch plan resumable and let saved searches tell
what is new. ``PubMed.fetch_xml`` fetches one batch - from the history server (``WebEnv``, ``retstart``) when
the search is fresh, by ``id=`` list otherwise (a resumed plan, an expired WebEnv, ``ingest pmid``) - and checks
it with the PubMed XML reader: an NCBI ``<ERROR>`` document, invalid or truncated XML is retried, then reported
as :class:`BadResponse`; nothing of a broken batch is kept. :func:`collect` runs a plan through a
:class:`~ingest.fetchstate.FetchedParts` so an interrupted fetch continues where it stopped.

``--since`` limits by publication date (``pdat``) or by the date the record entered PubMed (``edat``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from lxml import etree

from .base import ReadResult
from .fetchstate import Fetched, FetchedParts
from .http import BadResponse, HttpClient, RequestRejected
from .readers.pubmed_xml import check_pubmed_xml, read_pubmed_xml

__all__ = ["BATCH_SIZE", "PubMed", "SearchResult", "collect", "parse_date_limit", "parse_esearch"]

BATCH_SIZE = 200
ESEARCH_MAX = 10_000  # PubMed returns at most 10,000 PMIDs for one query
DATE_FIELDS = {"publication": "pdat", "entry": "edat", "pdat": "pdat", "edat": "edat"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
Progress = Callable[[int], None]


@dataclass(slots=True)
class SearchResult:
    count: int
    ids: list[str]
    webenv: str = ""
    query_key: str = ""
    translation: str = ""
    warnings: list[str] = field(default_factory=list)


def parse_esearch(data: bytes) -> SearchResult:
    """An ESearch XML answer -> SearchResult; BadResponse for NCBI error documents and non-ESearch bodies."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadResponse(f"PubMed search: the answer is not valid XML ({exc.msg}); try again later") from exc
    error = root.findtext("ERROR")
    if error is not None:
        raise BadResponse(f"PubMed search failed; NCBI says: {error.strip() or '(no message)'}")
    if root.tag != "eSearchResult" or root.findtext("Count") is None:
        raise BadResponse(f"PubMed search: expected an eSearchResult, got <{root.tag}>")
    warnings = [f"phrase not found: {e.text}" for e in root.iterfind("ErrorList/PhraseNotFound") if e.text]
    warnings += [f"field not found: {e.text}" for e in root.iterfind("ErrorList/FieldNotFound") if e.text]
    warnings += [(e.text or "").strip() for e in root.iterfind("WarningList/*") if (e.text or "").strip()]
    return SearchResult(
        count=int(root.findtext("Count") or 0),
        ids=[(e.text or "").strip() for e in root.iterfind("IdList/Id") if (e.text or "").strip()],
        webenv=(root.findtext("WebEnv") or "").strip(),
        query_key=(root.findtext("QueryKey") or "").strip(),
        translation=(root.findtext("QueryTranslation") or "").strip(),
        warnings=warnings)


_DATE = re.compile(r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?$")


def parse_date_limit(text: str) -> str:
    """'2019', '2019-05', '2019-05-01' (or with slashes) -> NCBI's 'YYYY[/MM[/DD]]'; ValueError otherwise."""
    match = _DATE.match(text.strip())
    if not match or not 1 <= int(match.group(2) or 1) <= 12 or not 1 <= int(match.group(3) or 1) <= 31:
        raise ValueError(f"--since {text!r}: expected YYYY, YYYY-MM or YYYY-MM-DD")
    return "/".join(f"{int(g):02d}" if i else g for i, g in enumerate(match.groups()) if g)


class PubMed:
    """ESearch and EFetch against ``Settings.eutils_url`` through the shared :class:`HttpClient`."""

    def __init__(self, http: HttpClient, batch_size: int = BATCH_SIZE) -> None:
        self.http = http
        self.batch_size = max(1, min(batch_size, BATCH_SIZE))

    def _url(self, tool: str) -> str:
        return self.http.settings.eutils_url.rstrip("/") + f"/{tool}.fcgi"

    def search(self, term: str, *, max_results: int = ESEARCH_MAX, since: str | None = None,
               date_field: str = "pdat", history: bool = True) -> SearchResult:
        """Run ESearch; PMIDs up to ``max_results`` (10,000 at most), the total count and the WebEnv."""
        if not term.strip():
            raise ValueError("the PubMed query is empty; give search terms, e.g. \"hysterosalpingography\"")
        wanted = max(0, min(max_results, ESEARCH_MAX))
        params: dict[str, str | int] = {"db": "pubmed", "term": term, "retmax": min(wanted, ESEARCH_MAX),
                                        "retstart": 0}
        if history:
            params["usehistory"] = "y"
        if since:
            params.update(datetype=DATE_FIELDS.get(date_field, date_field), mindate=parse_date_limit(since),
                          maxdate="3000")
        method = self.http.post if len(term) > 1500 else None
        reply = (method(self._url("esearch"), params, service="ncbi", what="PubMed search") if method
                 else self.http.get(self._url("esearch"), params, service="ncbi", what="PubMed search"))
        result = parse_esearch(reply.body)
        result.ids = result.ids[:wanted]
        return result

    def fetch_xml(self, ids: Sequence[str], *, search: SearchResult | None = None, retstart: int = 0,
                  label: str = "EFetch") -> tuple[bytes, ReadResult]:
        """One batch of PubMed XML, checked and read; from the history server when ``search`` has a WebEnv."""
        data = self.fetch_raw(ids, search=search, retstart=retstart, label=label)
        return data, read_pubmed_xml(data, label)

    def fetch_raw(self, ids: Sequence[str], *, search: SearchResult | None = None, retstart: int = 0,
                  label: str = "EFetch") -> bytes:
        """One batch of PubMed XML, checked to be complete, well-formed and not an NCBI error; not yet read."""
        params: dict[str, str | int] = {"db": "pubmed", "retmode": "xml"}
        if search is not None and search.webenv and search.query_key:
            params.update(WebEnv=search.webenv, query_key=search.query_key, retstart=retstart, retmax=len(ids))
        else:
            params["id"] = ",".join(ids)
        settings = self.http.settings
        for attempt in range(settings.retries + 1):
            try:
                reply = (self.http.post(self._url("efetch"), params, service="ncbi", what=label) if len(ids) > 200
                         else self.http.get(self._url("efetch"), params, service="ncbi", what=label))
            except RequestRejected:
                if "WebEnv" in params:  # NCBI answers history-server errors (an expired WebEnv) with HTTP 400
                    return self.fetch_raw(ids, label=label)
                raise
            fatal = check_pubmed_xml(reply.body, label)
            if fatal is None:
                return reply.body
            if fatal.message.startswith("NCBI returned an error"):
                if "WebEnv" in params and "query" in fatal.message.lower():
                    return self.fetch_raw(ids, label=label)  # the history server forgot the search: fetch by id
                raise BadResponse(f"{label}: {fatal.message}")
            if attempt == settings.retries:
                raise BadResponse(f"{label}: the answer was broken every time ({fatal}); nothing from this batch "
                                  "was kept - try again later")
            self.http.stats.retries += 1
            self.http.sleep(min(settings.max_wait, settings.backoff * 2 ** attempt))
        raise AssertionError("unreachable")


def _batches(ids: Sequence[str], size: int) -> list[list[str]]:
    return [list(ids[i:i + size]) for i in range(0, len(ids), size)]


def _add(fetched: Fetched, result: ReadResult, got: set[str]) -> None:
    fetched.records.extend(result.records)
    fetched.problems.extend(p for p in result.problems if not p.fatal)
    got.update(r.pmid for r in result.records if r.pmid)


def collect(pubmed: PubMed, spool: FetchedParts, ids: Sequence[str], *, search: SearchResult | None = None,
            progress: Progress | None = None) -> Fetched:
    """Fetch every PMID of the plan in batches, through the spool (parts already there are not fetched again).

    Batches are read in a worker thread while the next one is requested, so reading overlaps the rate limit's
    waits. PMIDs that the history-server batches did not return are fetched again by id; those still missing
    (deleted or unknown PMIDs) are listed in ``Fetched.missing``.
    """
    fetched = Fetched(total=search.count if search is not None else len(ids))
    size = pubmed.batch_size
    batches = _batches(ids, size)

    def read(data: bytes, label: str) -> ReadResult:
        result = read_pubmed_xml(data, label)
        if progress is not None:
            progress(len(result.records))
        return result

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pubmed-read") as reader:
        pending: list[Future[ReadResult]] = []
        for number, batch in enumerate(batches):
            name = f"part-{number:05d}.xml"
            label = f"PubMed batch {number + 1}/{len(batches)}"
            data = spool.get(name)
            if data is not None and check_pubmed_xml(data, name) is None:
                fetched.resumed_parts += 1
            else:
                data = pubmed.fetch_raw(batch, search=search, retstart=number * size, label=label)
                spool.put(name, data)
            pending.append(reader.submit(read, data, label))
        results = [future.result() for future in pending]
    got: set[str] = set()
    for result in results:
        _add(fetched, result, got)
    missing = [i for i in ids if i not in got]
    if missing and search is not None and search.webenv:
        for number, batch in enumerate(_batches(missing, size)):
            name = f"part-missing-{number:05d}.xml"
            data = spool.get(name)
            if data is None:
                data = pubmed.fetch_raw(batch, label=f"PubMed PMIDs not returned ({number + 1})")
                spool.put(name, data)
            _add(fetched, read(data, name), got)
        missing = [i for i in ids if i not in got]
    fetched.missing = missing
    return fetched
