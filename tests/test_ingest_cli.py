"""``reflib ingest pubmed|pmid|doi|crossref`` end to end against local E-utilities and Crossref servers."""

from __future__ import annotations

import json

import pytest

from ingest.fetchstate import SPOOL_DIR
from ingest.pubmed import PubMed
from library import Library
from library.cli import main

from .conftest import FIXTURES
from .httpserver import FakeCrossref, FakeEutils, Reply, split_articles, vary_articles

NEJM = "10.1056/NEJMoa1612337"


@pytest.fixture
def services(point_services):
    pool = split_articles((FIXTURES / "pubmed" / "hsg.xml").read_bytes())
    pool.update(vary_articles(pool, 450))
    searches = {"hysterosalpingography": [p for p in sorted(pool) if p.startswith("3000")]}
    works = json.loads((FIXTURES / "crossref" / "fixture_works.json").read_text())["message"]["items"][:4]
    server = point_services(REFLIB_HTTP_RETRIES="2", REFLIB_HTTP_TIMEOUT="2", REFLIB_EMAIL="editor@example.org")
    FakeEutils(pool, searches).install(server)
    FakeCrossref({NEJM: (FIXTURES / "crossref" / "nejm_work.json").read_bytes()}, works).install(server)
    return server


def run(bib, *args: str) -> int:
    return main(["--bib", str(bib), *args])


def test_search_imports_then_rerun_adds_nothing(services, tmp_path, capsys):
    bib = tmp_path / "references.bib"
    assert run(bib, "ingest", "pubmed", "hysterosalpingography", "--max", "300", "--topic", "Diagnostics > HSG") == 0
    out = capsys.readouterr().out
    assert "450 records match; fetched 300" in out and "300 added" in out
    lib = Library.load(bib)
    assert len(lib) == 300 and all(r.topics == ["Diagnostics > HSG"] for r in lib.records())
    assert not (tmp_path / SPOOL_DIR).exists()  # the spool is gone after the save
    before = bib.read_bytes()
    assert run(bib, "ingest", "pubmed", "hysterosalpingography", "--max", "300") == 0
    assert "0 added, 300 merged (300 already present unchanged)" in capsys.readouterr().out
    assert bib.read_bytes() == before
    efetch = services.calls("/efetch.fcgi")
    assert len(efetch) == 4 and {c.params["retmax"] for c in efetch} == {"200", "100"}


def test_failing_server_keeps_fetched_batches_and_rerun_continues(services, tmp_path, capsys):
    bib = tmp_path / "references.bib"
    good = services.routes["/efetch.fcgi"]
    services.route("/efetch.fcgi", lambda r: Reply(503, b"busy") if r.params.get("retstart") == "200" else good(r))
    assert run(bib, "ingest", "pubmed", "hysterosalpingography") == 1
    err = capsys.readouterr().err
    assert "HTTP 503" in err and "1 fetched part(s) are kept - run the same command again" in err
    assert "library is unchanged" in err and not bib.exists()
    services.route("/efetch.fcgi", good)
    services.requests.clear()
    assert run(bib, "ingest", "pubmed", "hysterosalpingography") == 0
    assert services.calls("/esearch.fcgi") == []  # the stored plan is used
    assert [c.params["retstart"] for c in services.calls("/efetch.fcgi")] == ["200", "400"]
    assert len(Library.load(bib)) == 450 and not (tmp_path / SPOOL_DIR).exists()


def test_ctrl_c_keeps_what_was_fetched(services, tmp_path, capsys, monkeypatch):
    bib = tmp_path / "references.bib"
    real = PubMed.fetch_raw
    calls = {"n": 0}

    def interrupted(self, ids, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(self, ids, **kwargs)

    monkeypatch.setattr(PubMed, "fetch_raw", interrupted)
    assert run(bib, "ingest", "pubmed", "hysterosalpingography") == 130
    assert "interrupted; the library is unchanged, 1 fetched part(s)" in capsys.readouterr().err
    assert not bib.exists()
    assert run(bib, "ingest", "pubmed", "hysterosalpingography", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["added"] == 450 and report["resumed_parts"] == 1


def test_pmid_merges_into_the_existing_study(services, references_copy, capsys):
    before = Library.load(references_copy).get("dreyer2017oil")
    assert not before.mesh
    assert run(references_copy, "ingest", "pmid", "PMID: 28520519", "--entry", "hsg", "--as", "discussed") == 0
    out = capsys.readouterr().out
    assert "0 added, 1 merged" in out and "dreyer2017oil" in out
    after = Library.load(references_copy).get("dreyer2017oil")
    assert "*Hysterosalpingography" in after.mesh and after.abstract.startswith("BACKGROUND:")
    assert after.title == before.title and after.authors == before.authors  # never replaced
    assert any(link.slug == "hsg" and link.kind == "discussed" for link in after.links)


def test_doi_and_crossref_search(services, tmp_path, capsys):
    bib = tmp_path / "references.bib"
    assert run(bib, "ingest", "doi", f"doi:{NEJM}") == 0
    assert run(bib, "ingest", "crossref", "fixture", "--max", "10", "--dry-run", "--json") == 0
    out = capsys.readouterr().out
    report = json.loads(out[out.index("{\n"):])
    assert report["dry_run"] and report["counts"]["added"] == 4 and report["matched"] == 4
    lib = Library.load(bib)
    assert len(lib) == 1 and next(lib.records()).doi == NEJM


@pytest.mark.parametrize(("args", "message"), [
    (["ingest", "pubmed", "  "], "the query is empty"),
    (["ingest", "crossref", ""], "the query is empty"),
    (["ingest", "pmid", "12ab"], "invalid PMID '12ab'"),
    (["ingest", "doi", "10.1056"], "invalid DOI '10.1056'"),
    (["ingest", "pubmed", "x", "--since", "last week"], "expected YYYY"),
    (["ingest", "doi", "10.9999/unknown.doi"], "Crossref does not know the DOI 10.9999/unknown.doi"),
    (["ingest", "pmid", "12345"], "PubMed has no record for 12345"),
])
def test_bad_input_is_exit_1_and_the_library_unchanged(services, references_copy, capsys, args, message):
    before = references_copy.read_bytes()
    assert run(references_copy, *args) == 1
    assert message in capsys.readouterr().err
    assert references_copy.read_bytes() == before


def test_an_unknown_doi_among_known_ones_is_named_without_a_rerun_hint(services, references_copy, capsys):
    """A 404 is an answer, not a failure to retry: "run the same command again to continue" would meet it again."""
    before = references_copy.read_bytes()
    assert run(references_copy, "ingest", "doi", NEJM, "10.9999/unknown.doi") == 1
    err = capsys.readouterr().err
    assert "10.9999/unknown.doi" in err and "nothing imported" in err
    assert "run the same command again" not in err  # before: "1 fetched part(s) are kept - run the same ..."
    assert references_copy.read_bytes() == before


def test_ncbi_error_document_is_exit_1(services, references_copy, capsys):
    services.script("/esearch.fcgi", Reply(200, b"<eSearchResult><ERROR>Search Backend failed</ERROR></eSearchResult>"))
    before = references_copy.read_bytes()
    assert run(references_copy, "ingest", "pubmed", "hysterosalpingography") == 1
    assert "NCBI says: Search Backend failed" in capsys.readouterr().err
    assert references_copy.read_bytes() == before


def test_invalid_xml_from_efetch_is_retried_then_saved(services, tmp_path, capsys):
    services.script("/efetch.fcgi", Reply(200, b"<PubmedArticleSet><PubmedArticle><oops></PubmedArticleSet>"))
    bib = tmp_path / "references.bib"
    assert run(bib, "ingest", "pmid", "28520519", "15271870") == 0
    assert len(Library.load(bib)) == 2 and len(services.calls("/efetch.fcgi")) == 2


def test_entry_without_kind_is_a_usage_error(services, tmp_path, capsys):
    assert run(tmp_path / "r.bib", "ingest", "pmid", "28520519", "--entry", "hsg") == 2


def test_no_raise_max_hint_when_max_was_not_the_limit(services, tmp_path, capsys):
    """Crossref counts works reflib skips (no title and no DOI, not a work); when fewer records than --max came
    back for that reason, raising --max gives nothing more, so the report must not suggest it."""
    items = json.loads((FIXTURES / "crossref" / "fixture_works.json").read_text())["message"]["items"]
    FakeCrossref({}, items).install(services)
    bib = tmp_path / "references.bib"
    assert run(bib, "ingest", "crossref", "fixture", "--max", "100") == 0
    out = capsys.readouterr().out
    assert "raise --max" not in out and f"{len(items)} records match; fetched" in out
    assert run(bib, "ingest", "crossref", "fixture", "--max", "3", "--restart") == 0
    assert f"{len(items)} records match; fetched 3 (raise --max for more)" in capsys.readouterr().out


def test_screen_reports_what_could_not_be_read_or_was_not_returned(services, tmp_path, capsys):
    """With --screen, works skipped as unreadable and PMIDs PubMed returned no record for are reported, as without
    it: nothing is dropped silently."""
    items = json.loads((FIXTURES / "crossref" / "fixture_works.json").read_text())["message"]["items"]
    FakeCrossref({}, items).install(services)
    bib = tmp_path / "references.bib"
    assert run(bib, "ingest", "crossref", "fixture", "--screen") == 0
    captured = capsys.readouterr()
    assert "added to the screening inbox" in captured.out
    assert "not a work; skipped" in captured.err and "no title and no DOI; skipped" in captured.err
    FakeEutils(split_articles((FIXTURES / "pubmed" / "hsg.xml").read_bytes()),
               {"gone": ["28520519", "39999999"]}).install(services)
    assert run(bib, "ingest", "pubmed", "gone", "--screen") == 0
    captured = capsys.readouterr()
    assert "1 added to the screening inbox" in captured.out
    assert "PMID 39999999: no record returned" in captured.err
