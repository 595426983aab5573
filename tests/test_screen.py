"""The screening inbox: schema and migrations, bad inbox files, decisions (one and two reviewers, kappa),
duplicate checks on the way in, include into the library, PRISMA, concurrent screeners and resumed watch runs."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.synchronize
import sqlite3
from pathlib import Path

import pytest

from ingest.watch import watch_path
from library import Library
from library.cli import main
from library.model import Author, Record
from library.screen import inbox as inbox_module
from library.screen.inbox import (
    SCHEMA_VERSION,
    Inbox,
    InboxError,
    agreement,
    cohen_kappa,
    inbox_path,
    kappa_text,
    state_of,
)
from library.screen.prisma import flow, to_png, to_svg

from .conftest import FIXTURES
from .httpserver import FakeEutils, LocalServer, split_articles, vary_articles

HSG_XML = FIXTURES / "pubmed" / "hsg.xml"
HSG_RIS = FIXTURES / "import" / "hsg.ris"


def run(bib: Path, *args: str) -> int:
    return main(["--bib", str(bib), *args])


def record(n: int, title: str = "", abstract: str = "") -> Record:
    return Record(key="", title=title or f"Study number {n} of tubal flushing outcome {n * 7919}",
                  authors=[Author(family=f"Author{n}", given="A")], year=2000 + n % 20, journal=f"Journal {n}",
                  volume=str(n), pages=f"{n}--{n + 5}", pmid=str(100000 + n), abstract=abstract)


# --- schema -----------------------------------------------------------------------------------------------------
def test_migration_from_version_1_keeps_records(tmp_path):
    path = tmp_path / "references.inbox.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(inbox_module._V1)
    conn.execute("INSERT INTO records (entry_type, fields, title, added, source) VALUES "
                 "('article', '{\"title\": \"Old study\"}', 'Old study', '2026-01-01', 'hsg')")
    conn.execute("INSERT INTO decisions (record_id, reviewer, decision, reason, at) VALUES (1, 'ann', 'maybe', '', 'x')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Inbox.open(path) as inbox:
        assert inbox.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert inbox.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert [r.title for r in inbox.items()] == ["Old study"] and inbox.history(1)[0]["decision"] == "maybe"
        assert inbox.record(1).title == "Old study"
        assert inbox.identified() == []  # the version-2 table exists
        assert inbox.decide(1, "include", "bob") == "included"  # reviewers column added with its default


def test_migration_from_a_version_2_inbox_file(tmp_path, capsys, monkeypatch):
    """``fixtures/screen/inbox-v2.sqlite`` was made by reflib at inbox schema 2 (``import --screen`` of
    ``a/search.csv`` (3 records) for the entry hysterosalpingogram and ``b/search.csv`` (4, one of them in the
    first) for saline-infusion-sonography, ``c/other.csv`` (1) with no entry; #1 excluded, #4 maybe, #2 included).
    Version 3 logs each identification run's entry: the old runs have none, and an entry's flow counts them as
    version 2 did (in full, for every entry their source fed) and says so; every other count is unchanged."""
    bib = tmp_path / "references.bib"
    path = inbox_path(bib)
    path.write_bytes((FIXTURES / "screen" / "inbox-v2.sqlite").read_bytes())
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    with Inbox.open(path) as inbox:
        assert inbox.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert [(it.id, it.state, it.entry) for it in inbox.items()] == [
            (1, "excluded", "hysterosalpingogram"), (2, "included", "hysterosalpingogram"),
            (3, "open", "hysterosalpingogram"), (4, "maybe", "saline-infusion-sonography"),
            (5, "open", "saline-infusion-sonography"), (6, "open", "saline-infusion-sonography"), (7, "open", None)]
        assert inbox.get(2).library_key == "author12011tubal" and inbox.history(1)[0]["reason"] == "wrong design"
        assert {it.source_key for it in inbox.items()} == {""}  # not stored before version 3
        assert [(r["source"], r["found"], r["entry"]) for r in inbox.identified()] == [
            ("search.csv", 3, None), ("search.csv", 4, None), ("other.csv", 1, None)]
        everything, search = flow(inbox), flow(inbox, source="search.csv")
        assert (everything.identified, everything.duplicates, everything.screened, everything.awaiting) == (
            {"search.csv": 7, "other.csv": 1}, 1, 3, 4)
        assert (search.identified, search.duplicates, search.screened, search.awaiting) == (
            {"search.csv": 7}, 1, 3, 3)
        assert not everything.note and not search.note
        old = flow(inbox, entry="hysterosalpingogram")
        assert old.identified == {"search.csv": 7} and (old.screened, old.awaiting) == (2, 1)  # as version 2 said
        assert "2 identification run(s)" in old.note and "every entry their source fed" in old.note
        assert "identified: 2 older run(s) counted by source" in to_svg(old)
        assert "older run" not in to_svg(everything)
    # a new run into the migrated inbox records its entry: the new part of the entry's flow adds up
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "search.csv").write_text(
        "title,author,year,journal,doi\n"
        "Tubal patency study 0: imaging comparison number 0,\"Author0, A\",2010,Journal 0,10.1000/v2.0\n"
        "A new hysterosalpingography trial of oil contrast,\"New, N\",2024,Journal N,10.1000/v3.1\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    assert main(["--bib", str(bib), "import", "--screen", "search.csv", "--entry", "hysterosalpingogram", "--as",
                 "discussed"]) == 0
    with Inbox.open(path) as inbox:
        assert inbox.identified()[-1]["entry"] == "hysterosalpingogram"
        now = flow(inbox, entry="hysterosalpingogram")
        assert now.identified == {"search.csv": 9} and now.duplicates == old.duplicates + 1
        assert now.awaiting == old.awaiting + 1 and "2 identification run(s)" in now.note
        assert flow(inbox, entry="saline-infusion-sonography").identified == {"search.csv": 7}  # not the new run
    capsys.readouterr()
    assert run(bib, "screen", "prisma", "--entry", "hysterosalpingogram") == 0
    assert "note: 2 identification run(s)" in capsys.readouterr().out


def test_newer_and_corrupt_inbox_files_are_reported_and_the_library_untouched(tmp_path, capsys):
    bib = tmp_path / "references.bib"
    bib.write_bytes((FIXTURES / "import" / "hsg.bib").read_bytes())
    before = bib.read_bytes()
    path = inbox_path(bib)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    raw = path.read_bytes()
    with pytest.raises(InboxError, match="version 99 is newer"):
        Inbox.open(path)
    assert path.read_bytes() == raw
    assert run(bib, "import", "--screen", str(HSG_RIS)) == 1
    assert "version 99 is newer" in capsys.readouterr().err
    path.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)  # a damaged database
    assert run(bib, "screen", "list") == 1
    err = capsys.readouterr().err
    assert str(path) in err and "not a usable screening inbox" in err and "library was not touched" in err
    assert bib.read_bytes() == before
    path.write_bytes(b"")  # truncated to nothing: SQLite would start a new inbox and forget every exclusion
    assert run(bib, "screen", "list") == 1
    assert "the inbox file is empty" in capsys.readouterr().err
    assert path.read_bytes() == b"" and bib.read_bytes() == before


# --- decisions ----------------------------------------------------------------------------------------------------
def test_states_and_kappa():
    assert state_of([], 1) == "open" and state_of(["include", "exclude"], 1) == "excluded"
    assert state_of(["include"], 2) == "open" and state_of(["include", "exclude"], 2) == "conflict"
    assert state_of(["include", "exclude", "include"], 2) == "included"
    assert state_of(["maybe", "maybe"], 2) == "maybe"
    a = {1: "include", 2: "exclude", 3: "exclude", 4: "include", 5: "exclude", 6: "exclude"}
    b = {1: "include", 2: "exclude", 3: "include", 4: "include", 5: "exclude", 6: "exclude", 7: "include"}
    kappa, shared = cohen_kappa(a, b)
    from sklearn.metrics import cohen_kappa_score

    keys = sorted(set(a) & set(b))
    assert shared == 6 and kappa == pytest.approx(cohen_kappa_score([a[k] for k in keys], [b[k] for k in keys]))
    # one and the same label on every shared record: chance agreement 1, kappa 0/0 (was reported as 1.0)
    same = {1: "exclude", 2: "exclude"}
    assert cohen_kappa(same, dict(same)) == (None, 2) and agreement(same, dict(same)) == 1.0
    assert "undefined" in kappa_text({"kappa": None, "records": 2, "agreement": 1.0})


def test_decide_change_undo_and_two_reviewers(tmp_path):
    with Inbox.open(tmp_path / "x.inbox.sqlite") as inbox:
        ids = inbox.add([record(1), record(2)], source="hsg", query="q", reviewers=2)
        with pytest.raises(InboxError, match="needs a reason"):
            inbox.decide(ids[0], "exclude", "ann")
        assert inbox.decide(ids[0], "include", "ann") == "open"  # waits for the second reviewer
        assert inbox.decide(ids[0], "exclude", "bob", "wrong design") == "conflict"
        assert inbox.decide(ids[0], "exclude", "cy", "wrong design") == "excluded"  # the third settles it
        assert inbox.undo(ids[0], "cy") == "conflict"
        assert inbox.decide(ids[0], "exclude", "ann", "animal study") == "excluded"  # ann changed her mind
        assert [h["decision"] for h in inbox.history(ids[0])] == ["include", "exclude", "exclude"]
        assert inbox.current(ids[0])["ann"][:2] == ("exclude", "animal study")
        assert inbox.exclusions() == [(ids[0], "hsg", "animal study")]


# --- CLI end to end -----------------------------------------------------------------------------------------------
def test_import_screen_include_exclude_prisma(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("REFLIB_REVIEWER", "ann")
    bib = tmp_path / "references.bib"
    bib.write_bytes((FIXTURES / "import" / "hsg.bib").read_bytes())
    keys_before = set(Library.load(bib).keys())
    assert run(bib, "import", "--screen", "--topic", "Diagnostics > HSG", str(HSG_XML)) == 0
    out = capsys.readouterr().out
    assert "added to the screening inbox" in out
    assert set(Library.load(bib).keys()) == keys_before  # nothing went into the library
    with Inbox.open(inbox_path(bib)) as inbox:
        first = inbox.items()
        assert first and all(it.source == str(HSG_XML) and it.topics == ["Diagnostics > HSG"] for it in first)
        found = inbox.identified()[0]
        assert found["found"] == 3 and found["added"] == len(first)
        assert found["in_library"] + found["in_inbox"] == 3 - len(first)
    assert run(bib, "import", "--screen", str(HSG_XML)) == 0  # a second time: every record is a duplicate
    assert "0 added to the screening inbox" in capsys.readouterr().out
    assert run(bib, "screen", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(i["id"] for i in listed) == sorted(it.id for it in first)
    keep, drop = listed[0]["id"], listed[-1]["id"]
    assert run(bib, "screen", "exclude", str(drop), "--reason", "no such reason") == 2
    capsys.readouterr()
    assert run(bib, "screen", "exclude", str(drop), "--reason", "wrong design") == 0
    assert run(bib, "screen", "include", f"#{keep}") == 0
    out = capsys.readouterr().out
    assert "is in the library as" in out
    lib = Library.load(bib)
    new = [k for k in lib if k not in keys_before]
    assert len(new) == 1 and "Diagnostics > HSG" in lib.get(new[0]).topics
    assert run(bib, "screen", "prisma", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["identified_total"] == 6 and data["included"] == 1 and data["excluded"] == {"wrong design": 1}
    assert data["duplicates_removed"] == 6 - len(first)
    # an excluded record is not offered again, by this search or another
    assert run(bib, "import", "--screen", str(HSG_XML)) == 0
    assert "0 added to the screening inbox" in capsys.readouterr().out
    svg = tmp_path / "flow.svg"
    assert run(bib, "screen", "prisma", "--format", "svg", "-o", str(svg)) == 0
    assert "Studies included (n = 1)" in svg.read_text() and svg.read_text().startswith("<svg")


def test_include_into_an_empty_library_file(tmp_path, capsys, monkeypatch):
    """A library file that exists but is empty (``touch references.bib``) takes the first include."""
    monkeypatch.setenv("REFLIB_REVIEWER", "ann")
    bib = tmp_path / "references.bib"
    bib.touch()
    assert run(bib, "import", "--screen", str(HSG_XML)) == 0
    capsys.readouterr()
    assert run(bib, "screen", "list", "--json") == 0
    first = json.loads(capsys.readouterr().out)[0]["id"]
    assert run(bib, "screen", "include", str(first)) == 0
    assert "is in the library as" in capsys.readouterr().out
    assert len(Library.load(bib)) == 1


def test_prisma_escapes_and_png(tmp_path):
    with Inbox.open(tmp_path / "x.inbox.sqlite") as inbox:
        (one,) = inbox.add([record(1)], source="<script>alert(1)</script>", found=4, in_library=3)
        inbox.decide(one, "exclude", "ann", "a & b")
        f = flow(inbox)
        assert f.identified == {"<script>alert(1)</script>": 4} and f.duplicates == 3 and f.excluded == {"a & b": 1}
        svg = to_svg(f)
        assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b: 1" in svg
        assert to_png(f).startswith(b"\x89PNG")
        assert flow(inbox, source="other").identified == {}
    # the connector leaves the identification box at its bottom edge (there was a gap down to y = 180), and a long
    # source name keeps its end inside the box
    import io

    from PIL import Image

    from library.screen.prisma import Flow
    long = Flow("all", identified={"/a/very/long/path/to/a/folder/of/exports/from/scopus/scopus-export.ris": 9})
    image = Image.open(io.BytesIO(to_png(long))).convert("L")
    bottom = 20 + 40 + 18 * 2
    assert all(image.getpixel((230, y)) < 128 for y in range(bottom + 2, 210, 10))
    assert "\u2026" in to_svg(long) and "scopus-export.ris: 9" in to_svg(long)


# --- ranking --------------------------------------------------------------------------------------------------
def test_ranking_learns_from_includes_with_a_fixed_seed(tmp_path):
    from library.screen.rank import Ranker, states_of

    relevant = "hysterosalpingography oil contrast tubal patency pregnancy"
    other = "cardiac surgery mortality stent coronary"
    with Inbox.open(tmp_path / "x.inbox.sqlite") as inbox:
        recs = [record(n, abstract=(relevant if n % 5 == 0 else other) + f" sample {n}") for n in range(40)]
        ids = inbox.add(recs, source="s")
        inbox.decide(ids[0], "include", "ann")
        inbox.decide(ids[1], "exclude", "ann", "not about the topic")
        first = Ranker(inbox, seed=3).rank(states_of(inbox), explain=3)
        again = Ranker(inbox, seed=3).rank(states_of(inbox), explain=3)
        assert first.ids == again.ids and first.scores == again.scores
        relevant_ids = set(ids[5::5])
        # two decisions made: this turn the first record offered is the one the model is least sure about (an
        # uncertainty pick, said so), then the 7 other relevant ones
        assert first.unsure == first.ids[0] and "least sure" in first.why(first.ids[0])
        assert relevant_ids <= set(first.ids[:8])
        pick = first.ids[0]  # decided by what it is (the least-sure record may be a relevant one)
        inbox.decide(pick, *(("include", "ann") if pick in relevant_ids else ("exclude", "ann", "not about the topic")))
        ranked = Ranker(inbox, seed=3).rank(states_of(inbox), explain=3)
        assert ranked.unsure is None  # three decisions: a ranked turn
        top = ranked.ids[:len(relevant_ids - {pick})]
        assert set(top) == relevant_ids - {pick}  # the relevant ones first
        assert any(t in {"hysterosalpingography", "oil", "contrast", "tubal"} for t, _ in ranked.terms[top[0]])
        assert ranked.why(top[0]).startswith("ranks high for: ")
        # library records on the search's topic count as includes even before any inbox include
        with_lib = Ranker(inbox, positives=[relevant]).rank(dict.fromkeys(ids, "open"))
        assert all((i - ids[0]) % 5 == 0 for i in with_lib.ids[:8])


def test_simulate_cli_on_a_small_labelled_file(tmp_path, capsys):
    rows = ["title,abstract,label_included"]
    for n in range(120):
        hit = n % 10 == 0
        rows.append(f"Study {n},{'oil contrast hysterosalpingography fertility' if hit else 'coronary stent trial'} "
                    f"word{n},{int(hit)}")
    path = tmp_path / "set.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["screen", "simulate", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["records"] == 120 and result["included"] == 12
    assert result["wss95"] > 0.7 > result["random_wss95"] and result["recall10"] > result["random_recall10"]
    bad = tmp_path / "bad.csv"
    bad.write_text("title,label_included\nA,maybe\n")
    assert main(["screen", "simulate", str(bad)]) == 1
    assert "row 2" in capsys.readouterr().err


# --- concurrency --------------------------------------------------------------------------------------------------
def _decide_all(path: str, reviewer: str, ids: list[int]) -> None:
    with Inbox.open(path) as inbox:
        for i in ids:
            inbox.decide(i, "exclude" if i % 2 else "include", reviewer, "wrong design" if i % 2 else "")


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
def test_two_processes_deciding_at_once_lose_nothing(tmp_path):
    path = tmp_path / "x.inbox.sqlite"
    with Inbox.open(path) as inbox:
        ids = inbox.add([record(n) for n in range(60)], source="s", reviewers=2)
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_decide_all, args=(str(path), who, ids)) for who in ("ann", "bob")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    with Inbox.open(path) as inbox:
        by = inbox.decisions_by_reviewer()
        assert len(by["ann"]) == len(by["bob"]) == 60
        assert inbox.count(("included",)) == 30 and inbox.count(("excluded",)) == 30


def _include_each(bib: str, reviewer: str, ids: list[int], codes: multiprocessing.Queue[int]) -> None:
    for i in ids:
        codes.put(main(["--bib", bib, "screen", "include", str(i), "--reviewer", reviewer]))


@pytest.mark.slow  # a few seconds: two processes running the CLI
def test_two_editors_including_at_once_both_succeed_and_every_include_reaches_the_library(tmp_path):
    """Each include moves its record into references.bib; when the other editor saved the library meanwhile,
    the move is retried on the library as it is now (it failed with "your changes were not saved" although the
    decision was stored, and the record reached the library only with someone's next command)."""
    bib = tmp_path / "references.bib"
    with Inbox.open(inbox_path(bib)) as inbox:
        ids = inbox.add([record(n) for n in range(24)], source="s")
    ctx = multiprocessing.get_context("spawn")
    codes = ctx.Queue()
    workers = [ctx.Process(target=_include_each, args=(str(bib), who, part, codes))
               for who, part in (("ann", ids[0::2]), ("bob", ids[1::2]))]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    assert sorted(codes.get(timeout=5) for _ in ids) == [0] * len(ids)
    with Inbox.open(inbox_path(bib)) as inbox:
        assert inbox.count(("included",)) == len(ids) and not inbox.pending_includes()
    assert len(Library.load(bib)) == len(ids)


def _import_screen_meeting_another(bib: str, path: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    from ingest import screening

    screening._before_insert = lambda: barrier.wait(120)  # both have checked for duplicates before either adds
    raise SystemExit(main(["--bib", bib, "import", "--screen", path]))


@pytest.mark.slow  # a few seconds: two processes running the CLI
def test_two_imports_at_once_add_each_record_once(tmp_path):
    """Two ``import --screen`` of overlapping files at the same moment: each checked the inbox for duplicates
    before the other had added anything, then both added every record (the 5 shared ones twice). The check and
    the insert now hold the inbox's write lock together, so whichever adds second sees the first one's records."""
    bib = tmp_path / "references.bib"
    files = []
    for name, numbers in (("a.ris", range(10)), ("b.ris", range(5, 15))):
        path = tmp_path / name
        path.write_text("".join(f"TY  - JOUR\nTI  - Study number {n} of tubal flushing outcome {n * 7919}\n"
                                f"AU  - Author{n}, A\nPY  - {2000 + n}\nJO  - Journal {n}\nDO  - 10.1000/race.{n}\n"
                                "ER  - \n\n" for n in numbers), encoding="utf-8")
        files.append(path)
    with Inbox.open(inbox_path(bib)):
        pass  # the inbox exists (created once, not by two processes at once)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    workers = [ctx.Process(target=_import_screen_meeting_another, args=(str(bib), str(path), barrier))
               for path in files]
    for w in workers:
        w.start()
    for w in workers:
        w.join(180)
        assert w.exitcode == 0
    with Inbox.open(inbox_path(bib)) as inbox:
        dois = [inbox.record(it.id).doi for it in inbox.items()]
        runs = sorted((int(r["added"]), int(r["in_inbox"])) for r in inbox.identified())  # type: ignore[call-overload]
    assert sorted(dois) == sorted(f"10.1000/race.{n}" for n in range(15))  # each once (20 before, 5 of them twice)
    assert runs == [(5, 5), (10, 0)]  # the second run found the first one's 5 records in the inbox


# --- watch run ----------------------------------------------------------------------------------------------------
@pytest.fixture
def eutils(monkeypatch):
    pool = vary_articles(split_articles(HSG_XML.read_bytes()), 12)
    ids = sorted(pool)
    fake = FakeEutils(pool, {"hysterosalpingography": ids[:6]})
    with LocalServer() as server:
        fake.install(server)
        for name, value in {"REFLIB_EUTILS_URL": server.url, "REFLIB_HTTP_BACKOFF": "0.01",
                            "REFLIB_HTTP_RETRIES": "1", "REFLIB_NCBI_RATE": "1000"}.items():
            monkeypatch.setenv(name, value)
        yield server, fake, ids


def test_watch_run_screens_by_default_and_an_interrupted_run_resumes(eutils, tmp_path, capsys, monkeypatch):
    _server, fake, ids = eutils
    bib = tmp_path / "references.bib"
    assert run(bib, "watch", "add", "hsg", "hysterosalpingography", "--topic", "Diagnostics > HSG") == 0
    import library.cli.watch as net

    real = net.screen_records
    calls = []

    def crash_after_inbox(*args, **kwargs):  # the inbox got the records, then the process died
        calls.append(1)
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(net, "screen_records", crash_after_inbox)
    assert run(bib, "watch", "run") == 130
    monkeypatch.setattr(net, "screen_records", real)
    with Inbox.open(inbox_path(bib)) as inbox:
        first = inbox.count()
    assert first > 0 and not bib.exists()
    assert json.loads(watch_path(bib).read_text())["searches"]["hsg"]["seen"] == []
    capsys.readouterr()
    assert run(bib, "watch", "run") == 0  # resumes: the same records are recognized, none added twice
    with Inbox.open(inbox_path(bib)) as inbox:
        assert inbox.count() == first and {it.source for it in inbox.items()} == {"hsg"}
    assert sorted(json.loads(watch_path(bib).read_text())["searches"]["hsg"]["seen"]) == ids[:6]
    fake.searches["hysterosalpingography"] = ids[:8]
    assert run(bib, "watch", "run") == 0
    with Inbox.open(inbox_path(bib)) as inbox:
        assert inbox.count() > first
    assert not bib.exists()  # nothing went into the library without screening


def test_ingest_pubmed_screen_fills_the_inbox_not_the_library(eutils, tmp_path, capsys):
    bib = tmp_path / "references.bib"
    assert run(bib, "ingest", "pubmed", "hysterosalpingography", "--screen", "--topic", "Diagnostics > HSG") == 0
    assert "6 record(s): 6 added to the screening inbox" in capsys.readouterr().out
    assert not bib.exists() or len(Library.load(bib)) == 0
    with Inbox.open(inbox_path(bib)) as inbox:
        assert {it.query for it in inbox.items()} == {"hysterosalpingography"}


def test_ingest_and_watch_screen_with_the_configured_number_of_reviewers(eutils, tmp_path, capsys):
    """After ``screen config --reviewers 2``, records that ``ingest --screen`` and ``watch run`` put in the inbox
    need two reviewers too: one reviewer's include must not move them into the library."""
    _server, fake, ids = eutils
    bib = tmp_path / "references.bib"
    assert run(bib, "screen", "config", "--reviewers", "2") == 0
    assert run(bib, "ingest", "pubmed", "hysterosalpingography", "--screen") == 0
    fake.searches["tubal flushing"] = ids[6:8]
    assert run(bib, "watch", "add", "flushing", "tubal flushing") == 0
    assert run(bib, "watch", "run") == 0
    _one_include_each_is_not_enough(bib, capsys, 8)


def _one_include_each_is_not_enough(bib, capsys, added: int) -> None:  # type: ignore[no-untyped-def]
    """Every inbox record (``added`` of them) included by one reviewer: in two-reviewer mode each stays open and
    nothing reaches the library."""
    with Inbox.open(inbox_path(bib)) as inbox:
        ids = [item.id for item in inbox.items()]
    assert len(ids) == added
    capsys.readouterr()
    for inbox_id in ids:
        assert run(bib, "screen", "include", str(inbox_id), "--reviewer", "ann") == 0
    assert "-> included" not in capsys.readouterr().out  # before the mends: "#1: include by ann -> included"
    with Inbox.open(inbox_path(bib)) as inbox:
        assert inbox.count(("open",)) == added
    assert not bib.exists() or len(Library.load(bib)) == 0


def test_import_screen_with_the_configured_number_of_reviewers(tmp_path, capsys):
    """``import --screen`` after ``screen config --reviewers 2``: one reviewer's include is not enough."""
    bib = tmp_path / "references.bib"
    source = tmp_path / "new.bib"
    source.write_text("@article{a, title={Tubal flushing with oil-based contrast after HSG}, author={Dreyer, K},"
                      " year={2017}}\n@article{b, title={Radiation dose of hysterosalpingography in the clinic},"
                      " author={Smith, J}, year={2019}}\n", encoding="utf-8")
    assert run(bib, "screen", "config", "--reviewers", "2") == 0
    assert run(bib, "import", str(source), "--screen") == 0
    _one_include_each_is_not_enough(bib, capsys, 2)


def test_two_reviewer_mode_from_the_cli(tmp_path, capsys):
    bib = tmp_path / "references.bib"
    with Inbox.open(inbox_path(bib)) as inbox:
        ids = inbox.add([record(n) for n in range(4)], source="s")
    assert run(bib, "screen", "config", "--reviewers", "2") == 0
    for n, i in enumerate(ids):
        assert run(bib, "screen", "exclude" if n else "include", str(i), "--reviewer", "ann",
                   *(["--reason", "wrong design"] if n else [])) == 0
    assert run(bib, "screen", "exclude", str(ids[0]), str(ids[1]), "--reason", "wrong design", "--reviewer", "bob") == 0
    assert run(bib, "screen", "include", str(ids[2]), str(ids[3]), "--reviewer", "bob") == 0
    assert not bib.exists()  # nothing settled as included: no library write
    capsys.readouterr()
    assert run(bib, "screen", "stats", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["conflict"] == 3 and data["excluded"] == 1
    assert data["agreement"][0]["reviewers"] == ["ann", "bob"] and data["agreement"][0]["records"] == 4
    assert data["agreement"][0]["kappa"] == pytest.approx(-0.5)
    assert run(bib, "screen", "include", str(ids[0]), "--reviewer", "cy") == 0  # a third reviewer settles it
    assert "is in the library as" in capsys.readouterr().out and len(Library.load(bib)) == 1
    assert run(bib, "screen", "stats", "--json") == 0  # the adjudicator is in no agreement pair
    assert [a["reviewers"] for a in json.loads(capsys.readouterr().out)["agreement"]] == [["ann", "bob"]]


def test_next_never_offers_a_reviewer_what_they_decided(tmp_path, capsys):
    """Two-reviewer mode: ann's decided records wait for bob, and ``next`` moves on for ann (it kept offering
    her the record she had just excluded); a conflict goes to a third reviewer, not back to the two."""
    bib = tmp_path / "references.bib"
    with Inbox.open(inbox_path(bib)) as inbox:
        ids = inbox.add([record(n) for n in range(3)], source="s")
    assert run(bib, "screen", "config", "--reviewers", "2") == 0
    offered = []
    for _ in range(3):
        capsys.readouterr()
        assert run(bib, "screen", "next", "--json", "--reviewer", "ann") == 0
        item = json.loads(capsys.readouterr().out)
        offered.append(item["id"])
        assert run(bib, "screen", "exclude", str(item["id"]), "--reason", "wrong design", "--reviewer", "ann") == 0
    assert sorted(offered) == sorted(ids)
    capsys.readouterr()
    assert run(bib, "screen", "next", "--json", "--reviewer", "ann") == 0
    assert json.loads(capsys.readouterr().out) is None  # nothing left for ann
    assert run(bib, "screen", "next", "--json", "--reviewer", "bob") == 0
    assert json.loads(capsys.readouterr().out)["id"] in ids  # everything waits for bob
    assert run(bib, "screen", "include", str(ids[0]), "--reviewer", "bob") == 0  # a conflict
    capsys.readouterr()
    assert run(bib, "screen", "list", "--state", "conflict", "--json") == 0
    assert [i["id"] for i in json.loads(capsys.readouterr().out)] == [ids[0]]
    for who, offered_conflict in (("ann", False), ("bob", False), ("cy", True)):
        assert run(bib, "screen", "list", "--json", "--reviewer", who) == 0
        listed = [i["id"] for i in json.loads(capsys.readouterr().out)]
        assert ids[0] not in listed  # --state open lists open records only
        with Inbox.open(inbox_path(bib)) as inbox:
            from library.screen.rank import Ranker, states_of
            ranked = Ranker(inbox).rank(states_of(inbox, who))
        assert (ids[0] in ranked.ids) is offered_conflict, who


def test_decisions_check_every_number_first_and_a_changed_include_says_it_stays(tmp_path, capsys):
    bib = tmp_path / "references.bib"
    with Inbox.open(inbox_path(bib)) as inbox:
        ids = inbox.add([record(n) for n in range(2)], source="s")
    with pytest.raises(InboxError):  # the CLI prints it in one line (main's LibraryError handler)
        Inbox.open(inbox_path(bib)).get(99999)
    assert run(bib, "screen", "include", str(ids[0]), "99999") != 0
    with Inbox.open(inbox_path(bib)) as inbox:
        assert inbox.get(ids[0]).state == "open"  # nothing half done
    assert run(bib, "screen", "include", str(ids[0])) == 0
    capsys.readouterr()
    assert run(bib, "screen", "exclude", str(ids[0]), "--reason", "wrong design") == 0
    out = capsys.readouterr().out
    assert "-> excluded" in out and "it stays there" in out


def test_list_source_filters_open_records_and_an_unknown_source_is_named(tmp_path, capsys):
    bib = tmp_path / "references.bib"
    with Inbox.open(inbox_path(bib)) as inbox:
        first = inbox.add([record(n) for n in range(3)], source="search-a")
        second = inbox.add([record(n) for n in range(3, 5)], source="search-b")
    assert run(bib, "screen", "list", "--source", "search-b", "--json") == 0
    assert sorted(i["id"] for i in json.loads(capsys.readouterr().out)) == sorted(second)
    assert run(bib, "screen", "list", "--source", "search-a", "--json") == 0
    assert sorted(i["id"] for i in json.loads(capsys.readouterr().out)) == sorted(first)
    assert run(bib, "screen", "list", "--source", "nothing-like-it") == 1
    assert "search-a; search-b" in capsys.readouterr().err


def test_prisma_counts_each_record_once(tmp_path, capsys):
    """identified = duplicates removed + screened + awaiting, and screened = included + excluded + undecided
    (a maybe was counted both as screened and as awaiting: the boxes did not add up)."""
    bib = tmp_path / "references.bib"
    bib.write_bytes((FIXTURES / "import" / "hsg.bib").read_bytes())
    assert run(bib, "import", "--screen", str(HSG_RIS)) == 0
    assert run(bib, "import", "--screen", str(HSG_XML)) == 0
    with Inbox.open(inbox_path(bib)) as inbox:
        ids = [it.id for it in inbox.items()]
    assert len(ids) >= 3
    assert run(bib, "screen", "maybe", str(ids[0])) == 0
    assert run(bib, "screen", "exclude", str(ids[1]), "--reason", "wrong design") == 0
    assert run(bib, "screen", "include", str(ids[2])) == 0
    capsys.readouterr()
    assert run(bib, "screen", "prisma", "--format", "json") == 0
    d = json.loads(capsys.readouterr().out)
    assert d["identified_total"] == d["duplicates_removed"] + d["screened"] + d["awaiting"]
    assert (d["screened"], d["included"], d["excluded_total"], d["undecided"]) == (3, 1, 1, 1)
    assert d["awaiting"] == len(ids) - 3


def test_features_are_read_back_by_the_next_command_and_refitted_when_anything_changes(tmp_path, monkeypatch):
    """``screen next`` is a new process each time: the fit is kept beside the inbox and read back while the texts
    and settings are the same (15 s per command at 100,000 records before); a new record, another setting or a
    damaged file means a new fit, and the ranking is the one a fresh fit gives."""
    from library.screen import featurecache, model
    from library.screen.rank import Ranker, states_of

    path = tmp_path / "x.inbox.sqlite"
    cache = featurecache.cache_path(path)
    with Inbox.open(path) as inbox:
        ids = inbox.add([record(n, abstract=f"tubal flushing with oil contrast {n}") for n in range(12)], source="s")
        inbox.decide(ids[0], "include", "ann")
        inbox.decide(ids[1], "exclude", "ann", "wrong design")
        fresh = Ranker(inbox).rank(states_of(inbox), explain=3)
        first = Ranker(inbox, cache=cache)
        assert cache.exists()
        fits = []
        real_fit = model.fit_features
        monkeypatch.setattr(model, "fit_features", lambda *a, **k: fits.append(1) or real_fit(*a, **k))
        again = Ranker(inbox, cache=cache)
        assert not fits  # read back, not fitted
        assert (again.features.matrix != first.features.matrix).nnz == 0
        assert list(again.features.terms) == list(first.features.terms)
        ranked = again.rank(states_of(inbox), explain=3)
        assert ranked.ids == fresh.ids and ranked.terms == fresh.terms
        inbox.add([record(99, abstract="a new record with new words")], source="s")
        Ranker(inbox, cache=cache)
        assert len(fits) == 1  # the texts changed
        monkeypatch.setattr(model, "MIN_DF", 2)
        Ranker(inbox, cache=cache)
        assert len(fits) == 2  # a setting changed
        monkeypatch.setattr(model, "MIN_DF", 1)
        cache.write_bytes(b"not an npz file")
        Ranker(inbox, cache=cache)
        assert len(fits) == 3  # a damaged file is fitted again (and replaced)
        Ranker(inbox, cache=cache)
        assert len(fits) == 3


def test_import_screen_dry_run_says_what_would_be_added(tmp_path, capsys):
    bib = tmp_path / "references.bib"
    assert run(bib, "import", "--screen", "--dry-run", str(HSG_RIS)) == 0
    out = capsys.readouterr().out
    assert "3 would be added to the screening inbox (dry run: nothing added)" in out
    with Inbox.open(inbox_path(bib)) as inbox:
        assert inbox.count() == 0
    assert run(bib, "import", "--screen", "--dry-run", "--json", str(HSG_RIS)) == 0
    assert json.loads(capsys.readouterr().out)["files"][0]["would_add"] == 3


def test_possible_duplicates_are_named_by_title_and_shown(tmp_path, capsys):
    """A possible duplicate inside one import is named by its title ("record 2 of this batch" meant nothing
    afterwards), ``screen show`` prints the note, and an empty exclusion reason is refused, not half saved."""
    bib = tmp_path / "references.bib"
    twin = record(1)
    other = Record(key="", title=twin.title, authors=twin.authors, year=twin.year, journal=twin.journal,
                   volume="99", pages="1--6")  # another volume: maybe the same, maybe not
    with Inbox.open(inbox_path(bib)) as inbox:
        from ingest.screening import screen_records
        lib = Library.create(bib)
        report = screen_records(lib, inbox, [twin, other], source="s", reviewers=1)
    assert report.possible, report
    who = report.possible[0][1]
    assert "another record of the same import" in who and twin.title[:30] in who
    assert not report.possible[0][2].startswith(" ")
    assert run(bib, "screen", "show", str(report.possible[0][0])) == 0
    assert "note: may be another record of the same import" in capsys.readouterr().out
    assert run(bib, "screen", "config", "--reason", " ") == 2
    assert "cannot be empty" in capsys.readouterr().err
