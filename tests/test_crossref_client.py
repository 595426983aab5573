"""Crossref client against a local server: works by DOI, cursor paging, broken answers, resuming."""

from __future__ import annotations

import json

import pytest

from ingest.crossref import Crossref, collect_search, collect_works
from ingest.fetchstate import FetchedParts
from ingest.http import BadResponse, HttpClient, NotFound, ServerError, Settings
from library.identifiers import InvalidIdentifier

from .conftest import CORPUS, FIXTURES, needs_shared
from .httpserver import FakeCrossref, LocalServer, Reply

CROSSREF = FIXTURES / "crossref"
NEJM = "10.1056/NEJMoa1612337"


def items(count: int) -> list[dict[str, object]]:
    base = json.loads((CROSSREF / "nejm_work.json").read_text())["message"]
    return [dict(base, DOI=f"10.9999/page.{i}", title=[f"Fixture work {i}"]) for i in range(count)]


@pytest.fixture(autouse=True)
def _crossref(server: LocalServer) -> None:
    FakeCrossref({NEJM: (CROSSREF / "nejm_work.json").read_bytes()}, items(250)).install(server)


def crossref_for(server: LocalServer, **overrides) -> Crossref:
    values = {"crossref_url": server.url, "backoff": 0.01, "retries": 2, "read_timeout": 2.0,
              "crossref_rate": 1000.0, "email": "editor@example.org"} | overrides
    return Crossref(HttpClient(Settings(**values)))


def spool(tmp_path, name="q") -> FetchedParts:
    return FetchedParts.open(tmp_path / "references.bib", {"q": name})


def test_work_by_doi(server):
    _body, result = crossref_for(server).work(f"https://doi.org/{NEJM}")
    assert result.records[0].doi == NEJM and result.records[0].volume == "376"
    (call,) = server.requests
    assert call.path == f"/works/{NEJM}" and call.params == {"mailto": "editor@example.org"}


def test_unknown_and_malformed_dois(server):
    with pytest.raises(NotFound, match=r"Crossref does not know the DOI 10.9999/nope \(HTTP 404\)"):
        crossref_for(server).work("10.9999/nope")
    with pytest.raises(InvalidIdentifier, match="invalid DOI"):
        crossref_for(server).work("not-a-doi")
    assert len(server.requests) == 1  # the malformed DOI never reached the server


def test_invalid_json_is_retried_then_reported(server):
    path = f"/works/{NEJM}"
    server.script(path, Reply(200, b'{"status":"ok","message-type":"work","mess', content_type="application/json"))
    assert crossref_for(server).work(NEJM)[1].records
    server.script(path, *[Reply(200, b"<html>maintenance</html>")] * 3)
    with pytest.raises(BadResponse, match="broken every time.*not valid JSON"):
        crossref_for(server).work(NEJM)
    server.script(path, Reply(200, b"x" * 500, truncate_at=50))
    assert crossref_for(server).work(NEJM)[1].records


def test_collect_works_keeps_parts_when_one_doi_fails(server, tmp_path):
    first = spool(tmp_path)
    with pytest.raises(NotFound):
        collect_works(crossref_for(server), first, [NEJM, "10.9999/unknown"])
    assert first.part_names() == ["part-00000.json"]
    server.requests.clear()
    done = collect_works(crossref_for(server), spool(tmp_path), [NEJM])
    assert done.resumed_parts == 1 and server.requests == [] and done.records[0].doi == NEJM


def test_search_pages_with_cursors(server, tmp_path):
    fetched = collect_search(crossref_for(server), spool(tmp_path), "fixture", max_results=230, since="2015")
    assert len(fetched.records) == 230 and fetched.total == 250
    calls = server.calls("/works")
    assert [(c.params["cursor"], c.params["rows"]) for c in calls] == [("*", "100"), ("c100", "100"), ("c200", "30")]
    assert calls[0].params["filter"] == "from-pub-date:2015" and calls[0].params["query"] == "fixture"


def test_interrupted_search_resumes_from_the_cursor(server, tmp_path):
    state = spool(tmp_path)
    original = server.routes["/works"]

    def fail_second_page(request):
        if request.params.get("cursor") == "c100":
            return Reply(500, b"overloaded")
        return original(request)

    server.route("/works", fail_second_page)
    with pytest.raises(ServerError):
        collect_search(crossref_for(server), state, "fixture", max_results=250)
    assert state.part_names() == ["part-00000.json"] and state.plan == {"cursor": "c100", "total": 250,
                                                                        "done": False}
    server.route("/works", original)
    server.requests.clear()
    again = collect_search(crossref_for(server), spool(tmp_path), "fixture", max_results=250)
    assert [c.params["cursor"] for c in server.calls("/works")] == ["c100", "c200"]
    assert len(again.records) == 250 == len({r.doi for r in again.records}) and again.resumed_parts == 1


def test_expired_cursor_restarts_the_search(server, tmp_path):
    state = spool(tmp_path)
    state.put("part-00000.json", (CROSSREF / "fixture_works.json").read_bytes())
    state.update_plan(cursor="stale", total=6, done=False)
    server.script("/works", Reply(400, b'{"status":"failed","message":"cursor expired"}'))
    fetched = collect_search(crossref_for(server), state, "fixture", max_results=120)
    assert len(fetched.records) == 120 and all(r.doi.startswith("10.9999/page.") for r in fetched.records)
    assert [c.params["cursor"] for c in server.calls("/works")] == ["stale", "*", "c100"]


def test_empty_query_is_refused(server):
    with pytest.raises(ValueError, match="query is empty"):
        crossref_for(server).search_page("  ")


@needs_shared
def test_recorded_habanero_answers_served(tmp_path):
    decoded = CORPUS / "pypi" / "habanero-2.9.2" / "decoded"
    one = (decoded / "test_works_with_one_id.0.json").read_bytes()
    with LocalServer() as srv:
        FakeCrossref({"10.1371/journal.pone.0033693": one}).install(srv)
        srv.script("/works", Reply(200, (decoded / "test_cursor_max.0.json").read_bytes()),
                   Reply(200, (decoded / "test_works_query.0.json").read_bytes()))
        crossref = crossref_for(srv)
        assert crossref.work("10.1371/journal.pone.0033693")[1].records[0].pages == "e33693"
        fetched = collect_search(crossref, spool(tmp_path), "widget", max_results=22)
    assert len(fetched.records) == 22 and fetched.total == 586628  # the second page's total


@pytest.mark.network
def test_live_crossref():
    """Opt-in (pytest -m network): the real Crossref API still answers the way the client expects."""
    _body, result = Crossref(HttpClient(Settings.from_env())).work(NEJM)
    assert result.records[0].title.startswith("Oil-Based or Water-Based Contrast")
