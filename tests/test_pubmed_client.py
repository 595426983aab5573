"""ESearch/EFetch against a local E-utilities server: history server, batches, broken batches, resuming."""

from __future__ import annotations

import pytest

from ingest.fetchstate import FetchedParts
from ingest.http import BadResponse, HttpClient, ServerError, Settings
from ingest.pubmed import PubMed, collect, parse_date_limit, parse_esearch

from .conftest import CORPUS, FIXTURES, needs_shared
from .httpserver import FakeEutils, LocalServer, Reply, split_articles, vary_articles

ENTREZ = CORPUS / "pypi" / "biopython-1.88" / "Tests" / "Entrez"


def fixture_pool() -> dict[str, bytes]:
    pool: dict[str, bytes] = {}
    for name in ("hsg.xml", "mathml.xml"):
        pool.update(split_articles((FIXTURES / "pubmed" / name).read_bytes()))
    return pool


@pytest.fixture
def eutils(server):
    fake = FakeEutils(vary_articles(fixture_pool(), 450)).install(server)
    return server, fake


def pubmed_for(server: LocalServer, **overrides) -> PubMed:
    values = {"eutils_url": server.url, "backoff": 0.01, "retries": 2, "read_timeout": 2.0,
              "ncbi_rate": 1000.0} | overrides
    return PubMed(HttpClient(Settings(**values)))


def spool(tmp_path, **identity) -> FetchedParts:
    return FetchedParts.open(tmp_path / "references.bib", identity or {"q": "test"})


def test_search_uses_the_history_server_and_fetches_in_batches_of_200(eutils, tmp_path):
    server, _fake = eutils
    pubmed = pubmed_for(server)
    found = pubmed.search("hysterosalpingography", max_results=1000)
    assert (found.count, len(found.ids), found.query_key) == (450, 450, "1") and found.webenv.startswith("MCID")
    (search_call,) = server.calls("/esearch.fcgi")
    assert search_call.params["usehistory"] == "y" and search_call.params["tool"] == "reflib"
    fetched = collect(pubmed, spool(tmp_path), found.ids, search=found)
    assert len(fetched.records) == 450 and fetched.missing == []
    assert len({r.pmid for r in fetched.records}) == 450
    calls = server.calls("/efetch.fcgi")
    assert [(c.params["retstart"], c.params["retmax"]) for c in calls] == [("0", "200"), ("200", "200"),
                                                                          ("400", "50")]
    assert all(c.params["WebEnv"] == found.webenv and "id" not in c.params for c in calls)


def test_max_results_and_since(eutils):
    server, _fake = eutils
    found = pubmed_for(server).search("x", max_results=30, since="2019-05", date_field="edat")
    assert len(found.ids) == 30 and found.count == 450
    params = server.calls("/esearch.fcgi")[0].params
    assert (params["retmax"], params["datetype"], params["mindate"], params["maxdate"]) == ("30", "edat", "2019/05",
                                                                                            "3000")


def test_invalid_xml_batch_is_retried_then_succeeds(eutils, tmp_path):
    server, _fake = eutils
    server.script("/efetch.fcgi", Reply(200, b"<PubmedArticleSet><PubmedArticle><Medline"))
    pubmed = pubmed_for(server)
    found = pubmed.search("x", max_results=200)
    fetched = collect(pubmed, spool(tmp_path), found.ids, search=found)
    assert len(fetched.records) == 200 and len(server.calls("/efetch.fcgi")) == 2


def test_broken_batch_is_an_error_and_nothing_of_it_is_kept(eutils, tmp_path):
    server, _fake = eutils
    pubmed = pubmed_for(server)
    found = pubmed.search("x", max_results=450)
    first = spool(tmp_path)
    good = server.routes["/efetch.fcgi"]

    def second_batch_broken(request):
        if request.params.get("retstart") == "200":
            return Reply(200, b"<PubmedArticleSet><PubmedArticle>cut")
        return good(request)

    server.route("/efetch.fcgi", second_batch_broken)
    with pytest.raises(BadResponse, match=r"PubMed batch 2/3: the answer was broken every time .*nothing from this"):
        collect(pubmed, first, found.ids, search=found)
    assert first.part_names() == ["part-00000.xml"]
    # the server recovers; the same command continues with the missing batches only, without duplicates
    server.route("/efetch.fcgi", good)
    before = len(server.calls("/efetch.fcgi"))
    again = FetchedParts.open(tmp_path / "references.bib", {"q": "test"})
    assert again.resumed is False  # no plan was stored by this low-level test; parts are still there
    resumed = collect(pubmed, again, found.ids, search=found)
    assert resumed.resumed_parts == 1
    assert len(server.calls("/efetch.fcgi")) - before == 2
    assert len(resumed.records) == 450 == len({r.pmid for r in resumed.records})


def test_server_errors_stop_with_a_clear_message(eutils, tmp_path):
    server, _fake = eutils
    server.script("/efetch.fcgi", *[Reply(502, b"Bad Gateway")] * 3)
    pubmed = pubmed_for(server)
    found = pubmed.search("x", max_results=10)
    with pytest.raises(ServerError, match="HTTP 502"):
        collect(pubmed, spool(tmp_path), found.ids, search=found)
    assert len(server.calls("/efetch.fcgi")) == 3


def test_expired_webenv_falls_back_to_ids(eutils, tmp_path):
    server, fake = eutils
    pubmed = pubmed_for(server)
    found = pubmed.search("x", max_results=20)
    fake.history.clear()  # NCBI forgot the search
    fetched = collect(pubmed, spool(tmp_path), found.ids, search=found)
    assert len(fetched.records) == 20
    last = server.calls("/efetch.fcgi")[-1]
    assert "WebEnv" not in last.params and len(last.params["id"].split(",")) == 20


def test_expired_webenv_answered_with_http_400_falls_back_to_ids(eutils, tmp_path):
    """E-utilities answer a history-server error with HTTP 400 and an eFetchResult ERROR envelope (as for
    "Cannot retrieve history data"); a resumed fetch whose WebEnv expired must still fetch the batch by id."""
    server, _fake = eutils
    pubmed = pubmed_for(server)
    found = pubmed.search("x", max_results=20)
    envelope = (b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eEfetchResult PUBLIC "-//NLM//DTD efetch '
                b'20131226//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n<eFetchResult>\n'
                b"\t<ERROR>Unable to obtain query #1</ERROR>\n</eFetchResult>\n")
    server.script("/efetch.fcgi", Reply(400, envelope))
    fetched = collect(pubmed, spool(tmp_path), found.ids, search=found)
    assert len(fetched.records) == 20
    first, last = server.calls("/efetch.fcgi")
    assert "WebEnv" in first.params and "WebEnv" not in last.params and len(last.params["id"].split(",")) == 20


def test_unknown_pmids_are_reported_missing(eutils, tmp_path):
    server, _fake = eutils
    fetched = collect(pubmed_for(server), spool(tmp_path), ["30000001", "12345"])
    assert [r.pmid for r in fetched.records] == ["30000001"] and fetched.missing == ["12345"]
    nothing = collect(pubmed_for(server), spool(tmp_path, q="none"), ["12345"])  # an empty PubmedArticleSet
    assert nothing.records == [] and nothing.missing == ["12345"]


def test_ncbi_error_documents(eutils):
    server, _fake = eutils
    server.script("/esearch.fcgi", Reply(200, b"<eSearchResult><ERROR>Invalid query syntax</ERROR></eSearchResult>"))
    with pytest.raises(BadResponse, match="PubMed search failed; NCBI says: Invalid query syntax"):
        pubmed_for(server).search("x AND (")
    server.script("/efetch.fcgi", Reply(200, b"<eFetchResult><ERROR>Invalid uid x</ERROR></eFetchResult>"))
    with pytest.raises(BadResponse, match="NCBI returned an error: Invalid uid x"):
        pubmed_for(server).fetch_xml(["1"])
    with pytest.raises(ValueError, match="query is empty"):
        pubmed_for(server).search("  ")


def test_parse_date_limit():
    assert parse_date_limit("2019") == "2019"
    assert parse_date_limit("2019-5-01") == "2019/05/01"
    for bad in ("19", "2019-13", "yesterday", "2019-02-40"):
        with pytest.raises(ValueError, match="YYYY"):
            parse_date_limit(bad)


@needs_shared
def test_recorded_esearch_answers():
    one = parse_esearch((ENTREZ / "esearch1.xml").read_bytes())
    assert (one.count, len(one.ids), one.ids[0], one.webenv) == (63, 20, "41282813", "")
    two = parse_esearch((ENTREZ / "esearch2.xml").read_bytes())
    assert (two.count, two.query_key, two.webenv) == (42249, "1", "MCID_6927d6e7fee3e90f880ec190")
    assert "[Date - Entry]" in two.translation
    none = parse_esearch((ENTREZ / "esearch8.xml").read_bytes())
    assert none.count == 0 and none.ids == []
    assert none.warnings == ["phrase not found: abcXYZ", "No items found."]


@needs_shared
def test_recorded_efetch_file_served_verbatim(server, tmp_path):
    server.route("/efetch.fcgi", lambda r: Reply(200, (ENTREZ / "pubmed1.xml").read_bytes()))
    fetched = collect(pubmed_for(server), spool(tmp_path), ["12091962", "9997"])
    assert sorted(r.pmid for r in fetched.records) == ["12091962", "9997"] and fetched.missing == []


@pytest.mark.network
def test_live_eutils(tmp_path):
    """Opt-in (pytest -m network): the real E-utilities still answer the way the client expects."""
    pubmed = PubMed(HttpClient(Settings.from_env()))
    found = pubmed.search("28520519[pmid]", max_results=5)
    assert found.ids == ["28520519"] and found.webenv
    fetched = collect(pubmed, spool(tmp_path), found.ids, search=found)
    assert fetched.records[0].doi.lower() == "10.1056/nejmoa1612337"
