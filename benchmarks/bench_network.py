"""Fetching from PubMed at NCBI's rate limit: 2,000 records from a local E-utilities server limited to 3 requests/s.

The plan is one ESearch (history server) and 10 EFetch batches of 200, so 11 requests; at 3 requests/s the floor
is (11 - 1) / 3 = 3.33 s. The figure is the wall time of the whole fetch (search, batches, XML checks, spool
writes) against that floor: the client itself should add little.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import Report
from ingest.fetchstate import FetchedParts
from ingest.http import HttpClient, Settings
from ingest.pubmed import PubMed, collect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.httpserver import FakeEutils, LocalServer, split_articles, vary_articles  # noqa: E402

RECORDS = 2000
RATE = 3.0


def run(report: Report) -> None:
    pool = split_articles((ROOT / "tests" / "fixtures" / "pubmed" / "hsg.xml").read_bytes())
    articles = vary_articles(pool, RECORDS)
    folder = Path(tempfile.mkdtemp(prefix="reflib-bench-"))
    try:
        with LocalServer(rate=RATE) as server:
            FakeEutils(articles).install(server)
            http = HttpClient(Settings(eutils_url=server.url))  # NCBI's rule without an API key: 3 requests/s
            assert http.limiters["ncbi"].rate == RATE
            pubmed = PubMed(http)
            started = time.perf_counter()
            found = pubmed.search("hysterosalpingography", max_results=RECORDS)
            parts = FetchedParts.open(folder / "references.bib", {"bench": 1})
            fetched = collect(pubmed, parts, found.ids, search=found)
            elapsed = time.perf_counter() - started
            requests, rejected = len(server.requests), server.rejected
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    floor = (requests - 1) / RATE
    report.add("network", f"fetch {len(fetched.records):,} records, {requests} requests at {RATE:g}/s",
               f"{elapsed:.2f} s", f"floor {floor:.2f} s")
    report.add("network", "time over the rate limit's floor", f"{elapsed / floor:.2f}x", "<= 1.20x")
    report.add("network", "requests refused by the server's rate limit (429)", str(rejected), "0")
