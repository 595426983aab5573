"""Saved searches: the watch file, and ``reflib watch add|run|list|remove`` against local servers."""

from __future__ import annotations

import json

import pytest

from ingest.watch import SavedSearch, WatchError, WatchFile, new_identifiers, watch_path
from library import Library
from library.cli import main

from .conftest import FIXTURES
from .httpserver import FakeCrossref, FakeEutils, Reply, split_articles, vary_articles


def test_watch_file_round_trip_and_format(tmp_path):
    path = watch_path(tmp_path / "references.bib")
    assert path.name == "references.watch.json"
    watch = WatchFile.load(path)
    watch.add(SavedSearch("hsg-radiation", "hysterosalpingography AND radiation dose", topics=["Diagnostics > HSG"]))
    watch.save()
    data = json.loads(path.read_text())
    assert data["version"] == 1
    saved = data["searches"]["hsg-radiation"]
    assert saved["query"] == "hysterosalpingography AND radiation dose" and saved["source"] == "pubmed"
    assert saved["seen"] == [] and saved["last_run"] is None and saved["created"]
    again = WatchFile.load(path).get("hsg-radiation")
    assert again.topics == ["Diagnostics > HSG"]


@pytest.mark.parametrize(("search", "message"), [
    (SavedSearch("bad name!", "x"), "use letters, digits"),
    (SavedSearch("ok", "   "), "the query is empty"),
    (SavedSearch("ok", "x", source="scopus"), "pubmed or crossref"),
    (SavedSearch("ok", "x", entry="hsg"), "go together"),
])
def test_invalid_searches(tmp_path, search, message):
    with pytest.raises(WatchError, match=message):
        WatchFile(tmp_path / "w.json").add(search)


def test_duplicates_unknown_names_and_broken_files(tmp_path):
    watch = WatchFile(tmp_path / "w.json")
    watch.add(SavedSearch("a", "x"))
    with pytest.raises(WatchError, match="exists already"):
        watch.add(SavedSearch("a", "y"))
    watch.add(SavedSearch("a", "y"), replace=True)
    assert watch.get("a").query == "y"
    with pytest.raises(WatchError, match=r"no saved search named 'b'.*known: a"):
        watch.get("b")
    broken = tmp_path / "broken.watch.json"
    broken.write_text("{not json")
    with pytest.raises(WatchError, match="broken.watch.json: not a readable saved-search file"):
        WatchFile.load(broken)


def test_new_identifiers_keeps_source_order():
    search = SavedSearch("s", "q", seen=["2", "4"])
    assert new_identifiers(search, ["5", "4", "3", "2", "1", "5"]) == ["5", "3", "1"]


@pytest.fixture
def services(point_services):
    pool = vary_articles(split_articles((FIXTURES / "pubmed" / "hsg.xml").read_bytes()), 12)
    ids = sorted(pool)
    eutils = FakeEutils(pool, {"hysterosalpingography": ids[:5]})
    works = json.loads((FIXTURES / "crossref" / "fixture_works.json").read_text())["message"]["items"][:4]
    server = point_services()
    eutils.install(server)
    crossref = FakeCrossref({}, works[:2]).install(server)
    return server, eutils, crossref, ids, works


def run(bib, *args: str) -> int:
    return main(["--bib", str(bib), *args])


def test_watch_reports_only_what_is_new(services, tmp_path, capsys):
    server, eutils, _crossref, ids, _works = services
    bib = tmp_path / "references.bib"
    assert run(bib, "watch", "add", "hsg", "hysterosalpingography", "--topic", "Diagnostics > HSG") == 0
    assert run(bib, "watch", "run", "--no-screen") == 0
    out = capsys.readouterr().out
    assert "hsg: 5 new (first run: everything is new); 5 match now" in out
    assert len(Library.load(bib)) == 5
    saved = json.loads(watch_path(bib).read_text())["searches"]["hsg"]
    assert sorted(saved["seen"]) == ids[:5] and saved["last_count"] == 5 and saved["last_run"]
    eutils.searches["hysterosalpingography"] = ids[:7]  # two studies appear
    server.requests.clear()
    assert run(bib, "watch", "run", "--no-screen", "hsg") == 0
    out = capsys.readouterr().out
    assert f"hsg: 2 new since {saved['last_run']}; 7 match now" in out
    (fetch,) = server.calls("/efetch.fcgi")
    assert sorted(fetch.params["id"].split(",")) == ids[5:7]
    lib = Library.load(bib)
    assert len(lib) == 7 and all("Diagnostics > HSG" in r.topics for r in lib.records())
    assert run(bib, "watch", "run", "--no-screen") == 0
    assert "hsg: 0 new since" in capsys.readouterr().out


def test_dry_run_and_failures_change_nothing(services, tmp_path, capsys):
    server, _eutils, _crossref, _ids, _works = services
    bib = tmp_path / "references.bib"
    run(bib, "watch", "add", "hsg", "hysterosalpingography")
    before = watch_path(bib).read_bytes()
    assert run(bib, "watch", "run", "--no-screen", "--dry-run") == 0
    assert "hsg: 5 new" in capsys.readouterr().out
    assert watch_path(bib).read_bytes() == before and not bib.exists()
    server.script("/esearch.fcgi", *[Reply(500, b"down")] * 2)
    assert run(bib, "watch", "run", "--no-screen") == 1
    err = capsys.readouterr().err
    assert "hsg:" in err and "HTTP 500" in err and "saved searches are unchanged" in err
    assert watch_path(bib).read_bytes() == before and not bib.exists()


def test_crossref_watch_list_and_remove(services, tmp_path, capsys):
    _server, _eutils, crossref, _ids, works = services
    bib = tmp_path / "references.bib"
    assert run(bib, "watch", "add", "fixtures", "fixture study", "--source", "crossref") == 0
    assert run(bib, "watch", "run", "--no-screen", "fixtures") == 0
    assert "fixtures: 2 new" in capsys.readouterr().out
    crossref.items = works  # two more appear at Crossref
    assert run(bib, "watch", "run", "--no-screen", "fixtures") == 0
    assert "fixtures: 2 new since" in capsys.readouterr().out
    assert len(Library.load(bib)) == 4
    assert run(bib, "watch", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["fixtures"]["seen"] == 4 and listed["fixtures"]["source"] == "crossref"
    assert run(bib, "watch", "remove", "fixtures") == 0
    assert run(bib, "watch", "run", "--no-screen", "fixtures") == 1
    assert "no saved search named 'fixtures'" in capsys.readouterr().err


def test_a_failure_after_a_screened_search_says_what_was_kept(services, tmp_path, capsys):
    """Screening runs remember each search once the inbox has its records: when a later search fails, the message
    must not claim that the saved searches are unchanged, and must name the searches that did run."""
    server, _eutils, _crossref, ids, _works = services
    bib = tmp_path / "references.bib"
    assert run(bib, "watch", "add", "a-hsg", "hysterosalpingography") == 0
    assert run(bib, "watch", "add", "b-fixtures", "fixture study", "--source", "crossref") == 0
    server.script("/works", *[Reply(500, b"down")] * 2)
    capsys.readouterr()
    assert run(bib, "watch", "run") == 1
    err = capsys.readouterr().err
    assert "b-fixtures:" in err and "HTTP 500" in err
    assert "saved searches are unchanged" not in err
    assert "a-hsg" in err and "screening inbox" in err
    saved = json.loads(watch_path(bib).read_text())["searches"]
    assert sorted(saved["a-hsg"]["seen"]) == ids[:5] and saved["b-fixtures"]["last_run"] is None


def test_watch_run_reports_what_could_not_be_read_or_was_not_returned(services, tmp_path, capsys):
    """A PMID the search found but PubMed returned no record for, and an unreadable Crossref work, are reported on
    stderr (and in --json), in both modes, as import and ingest report them: nothing is dropped silently."""
    server = services[0]
    FakeEutils(split_articles((FIXTURES / "pubmed" / "hsg.xml").read_bytes()),
               {"gone": ["28520519", "39999999"]}).install(server)
    items = json.loads((FIXTURES / "crossref" / "fixture_works.json").read_text())["message"]["items"]
    FakeCrossref({}, items).install(server)
    bib = tmp_path / "references.bib"
    assert run(bib, "watch", "add", "gone", "gone") == 0
    assert run(bib, "watch", "run", "--no-screen", "gone") == 0
    assert "PMID 39999999: no record returned" in capsys.readouterr().err  # before: nothing said
    assert run(bib, "watch", "add", "works", "fixture", "--source", "crossref") == 0
    capsys.readouterr()
    assert run(bib, "watch", "run", "works", "--json") == 0
    captured = capsys.readouterr()
    assert "not a work; skipped" in captured.err
    assert any("not a work; skipped" in p for p in json.loads(captured.out)[0]["problems"])


def test_a_crossref_watch_reaches_what_a_first_run_left_beyond_max(services, tmp_path, capsys):
    """26 works match, --max 10: the runs report 10, 10, 6 new (before: 10, then 0 for ever, the other 16 never
    seen): the pages read go past the works seen before."""
    _server, _eutils, crossref, _ids, works = services
    base = next(w for w in works if w.get("DOI") and w.get("title"))
    crossref.items = [{**base, "DOI": f"10.5555/watch.{i}", "title": [f"Tubal flushing study number {i}"]}
                      for i in range(26)]
    bib = tmp_path / "references.bib"
    assert run(bib, "watch", "add", "cr", "tubal flushing", "--source", "crossref") == 0
    capsys.readouterr()
    counts = []
    for _ in range(4):
        assert run(bib, "watch", "run", "--no-screen", "--max", "10", "cr", "--json") == 0
        counts.append(json.loads(capsys.readouterr().out)[0]["new"])
    assert counts == [10, 10, 6, 0]
    assert len(Library.load(bib)) == 26
