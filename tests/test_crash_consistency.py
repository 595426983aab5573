"""Operations that write more than one file, killed (SIGKILL) at every write boundary (see tests/killpoints.py):
after the next run, what the files hold agrees.

- ``screen include``: the inbox (SQLite: the decision, then the library key) and the library. An include whose
  library save was lost is finished by the next decision (``settle_includes``); one whose key was lost is not
  added twice.
- ``publish``: slugs stored in the library, the site's pages, and the site's state (page hashes). The state is
  marked "being written" before the first page changes; the run after a killed one rebuilds every page, so no
  page is trusted to the hash of a run that did not finish.
- ``dedupe --apply --reject``: the decisions file (first), the merge journal and the library.
- ``watch run`` (into the inbox, or ``--no-screen`` into the library): the fetched parts, the inbox or the
  library, and the saved searches. A run killed after the records were stored but before the search remembered
  them fetches them again next time and recognizes them: nothing is added twice, nothing is lost.
(``dedupe --apply``/``--undo`` alone: tests/test_dedupe_crash.py.)
"""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pytest

from library import Library
from library.cli import main
from library.screen.inbox import Inbox, inbox_path

from .conftest import FIXTURES, REFERENCES
from .httpserver import FakeEutils, LocalServer, split_articles, vary_articles
from .killpoints import kill_trials

HSG_XML = FIXTURES / "pubmed" / "hsg.xml"


def _run(bib: Path, *args: str) -> int:
    return main(["--bib", str(bib), *args])


@pytest.mark.slow  # ~20 s: one killed child per write boundary
def test_screen_include_killed_at_every_write_boundary(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFLIB_REVIEWER", "ann")
    monkeypatch.setenv("REFLIB_CACHE_DIR", str(tmp_path / "cache"))
    pristine = tmp_path / "pristine"
    pristine.mkdir()
    bib = pristine / "references.bib"
    bib.write_bytes((FIXTURES / "import" / "hsg.bib").read_bytes())
    assert _run(bib, "import", "--screen", str(HSG_XML)) == 0
    capsys.readouterr()
    assert _run(bib, "screen", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    include, other = listed[0]["id"], listed[-1]["id"]
    pmid = listed[0]["pmid"]
    assert include != other and pmid
    keys_before = set(Library.load(bib).keys())

    trials = kill_trials(pristine, tmp_path / "trials", ["--bib", "{dir}/references.bib", "screen", "include",
                                                          str(include)],
                         env={"REFLIB_REVIEWER": "ann", "REFLIB_CACHE_DIR": "{dir}/cache"})
    assert trials.code == 0 and len(trials) >= 3  # the decision, the library, the library key (and the cache)
    failures = []
    for folder in [*trials.killed, trials.finished]:
        trial = folder / "references.bib"
        assert _run(trial, "screen", "maybe", str(other)) == 0  # the next decision settles what was left
        capsys.readouterr()
        lib = Library.load(trial)
        holding = [k for k in lib if lib.get(k).pmid == pmid]
        with Inbox.open(inbox_path(trial)) as inbox:
            item = inbox.get(include)
        included = item.state == "included"
        ok = (set(lib.keys()) - keys_before == set(holding) and len(holding) == (1 if included else 0)
              and item.library_key == (holding[0] if included else None))
        if not ok:
            failures.append((folder.name, item.state, item.library_key, holding))
    print(f"screen include: {len(trials)} kills + 1 finished run, {len(failures)} failures")
    assert not failures, failures
    states = {Inbox.open(inbox_path(f / "references.bib")).get(include).state for f in trials.killed}
    assert states == {"open", "included"}  # killed before the decision and after it


def _small_library(path: Path) -> list[str]:
    """Four studies of the bundled library (published ones), one without a slug yet."""
    lib = Library.load(REFERENCES)
    chosen = [r for r in lib.records() if r.title and r.year][:4]
    small = Library.create(path)
    for record in chosen:
        copy = record.copy()
        copy.extra = {k: v for k, v in copy.extra.items() if k != "slug"}
        small.add(copy)
    small.save()
    return [r.key for r in chosen]


def _site_files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".reflib-publish" not in p.parts}


@pytest.mark.slow  # ~60 s: one killed child per write boundary
def test_publish_killed_at_every_write_boundary(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFLIB_CACHE_DIR", str(tmp_path / "cache"))
    pristine = tmp_path / "pristine"
    pristine.mkdir()
    bib = pristine / "references.bib"
    keys = _small_library(bib)
    assert _run(bib, "publish", str(pristine / "out")) == 0  # the last run: state and pages of these records
    lib = Library.load(bib)
    edited = lib.get(keys[0])
    original_title = edited.title
    edited.title = "A corrected title"
    lib.update(edited)
    fresh = lib.get(keys[1])
    fresh.extra = {k: v for k, v in fresh.extra.items() if k != "slug"}  # a study that needs a new slug
    lib.update(fresh)
    lib.save()
    capsys.readouterr()

    trials = kill_trials(pristine, tmp_path / "trials", ["--bib", "{dir}/references.bib", "publish", "{dir}/out"],
                         env={"REFLIB_CACHE_DIR": "{dir}/cache"})
    assert trials.code == 0 and len(trials) >= 10
    failures = []
    for folder in [*trials.killed, trials.finished]:
        trial = folder / "references.bib"
        # the editor takes the edit back, then publishes again: every page must be what a clean run makes
        lib = Library.load(trial)
        record = lib.get(keys[0])
        record.title = original_title
        lib.update(record)
        lib.save()
        assert _run(trial, "publish", str(folder / "out")) == 0
        clean = folder / "clean"
        shutil.copytree(folder, clean, ignore=shutil.ignore_patterns("out", "cache", "clean"))
        assert _run(clean / "references.bib", "publish", str(clean / "out")) == 0
        capsys.readouterr()
        got, want = _site_files(folder / "out"), _site_files(clean / "out")
        if got != want:
            differ = sorted(k for k in got.keys() | want.keys() if got.get(k) != want.get(k))
            failures.append((folder.name, differ[:5]))
        assert filecmp.cmp(trial, clean / "references.bib", shallow=False)
    print(f"publish: {len(trials)} kills + 1 finished run, {len(failures)} failures")
    assert not failures, f"{len(failures)} of {len(trials) + 1} trials: {failures[:5]}"


@pytest.mark.slow  # ~15 s: one killed child per write boundary
def test_dedupe_decision_and_apply_killed_at_every_write_boundary(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``dedupe --apply --reject A B``: the decisions file, the merge journal and the library."""
    from library.dedupe.decisions import decisions_path, load_decisions
    from library.dedupe.undo_log import journal_path, load_journal

    pristine = tmp_path / "pristine"
    pristine.mkdir()
    shutil.copyfile(FIXTURES / "dedupe" / "library.bib", pristine / "references.bib")
    trials = kill_trials(pristine, tmp_path / "trials", ["--bib", "{dir}/references.bib", "dedupe", "--apply",
                                                          "--reject", "vanwelie2019foam", "vanwelie2019ris"],
                         env={"REFLIB_CACHE_DIR": "{dir}/cache"})
    assert trials.code == 1 and len(trials) >= 4  # (1: merges were made)
    failures = []
    rejected = 0
    for folder in [*trials.killed, trials.finished]:
        trial = folder / "references.bib"
        assert _run(trial, "dedupe", "--json") in (0, 1)  # the next run settles the journal
        capsys.readouterr()
        keys = set(Library.load(trial).keys())
        entries = load_journal(journal_path(trial))
        decided = load_decisions(decisions_path(trial)).status("vanwelie2019foam", "vanwelie2019ris")
        rejected += decided == "rejected"
        gone = {"dreyer2017crossref", "vanwelie2019ris"} - keys
        journaled = {key for e in entries for key in e.removed}
        ok = ("vanwelie2019ris" in keys and gone == journaled and not [e for e in entries if e.state]
              and decided in ("rejected", "") and (decided == "rejected" or not gone))  # decision before merge
        if not ok:
            failures.append((folder.name, decided, sorted(gone), sorted(journaled)))
    print(f"dedupe --apply --reject: {len(trials)} kills + 1 finished run, {len(failures)} failures")
    assert not failures, failures
    assert 0 < rejected <= len(trials) + 1


@pytest.fixture
def eutils(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    pool = vary_articles(split_articles(HSG_XML.read_bytes()), 12)
    ids = sorted(pool)
    fake = FakeEutils(pool, {"hysterosalpingography": ids[:6]})
    with LocalServer() as server:
        fake.install(server)
        for name, value in {"REFLIB_EUTILS_URL": server.url, "REFLIB_HTTP_BACKOFF": "0.01",
                            "REFLIB_HTTP_RETRIES": "1", "REFLIB_NCBI_RATE": "1000"}.items():
            monkeypatch.setenv(name, value)
        yield ids


@pytest.mark.slow  # ~30 s: one killed child per write boundary
@pytest.mark.parametrize("mode", ["--screen", "--no-screen"])
def test_watch_run_killed_at_every_write_boundary(eutils: list[str], tmp_path: Path, mode: str,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.watch import watch_path

    ids = eutils
    monkeypatch.setenv("REFLIB_CACHE_DIR", str(tmp_path / "cache"))
    pristine = tmp_path / "pristine"
    pristine.mkdir()
    bib = pristine / "references.bib"
    assert _run(bib, "watch", "add", "hsg", "hysterosalpingography") == 0
    trials = kill_trials(pristine, tmp_path / "trials", ["--bib", "{dir}/references.bib", "watch", "run", mode],
                         env={"REFLIB_CACHE_DIR": "{dir}/cache"})
    assert trials.code == 0 and len(trials) >= 3
    failures = []
    for folder in [*trials.killed, trials.finished]:
        trial = folder / "references.bib"
        assert _run(trial, "watch", "run", mode) == 0  # the next run
        capsys.readouterr()
        if mode == "--screen":
            with Inbox.open(inbox_path(trial)) as inbox:
                stored = [it.pmid for it in inbox.items()]
            in_library = trial.exists() and len(Library.load(trial)) > 0
        else:
            stored = [r.pmid for r in Library.load(trial).records()]
            in_library = False
        seen = sorted(json.loads(watch_path(trial).read_text())["searches"]["hsg"]["seen"])
        if sorted(stored) != ids[:6] or seen != ids[:6] or in_library:
            failures.append((folder.name, sorted(stored), seen, in_library))
    print(f"watch run {mode}: {len(trials)} kills + 1 finished run, {len(failures)} failures")
    assert not failures, failures


@pytest.mark.slow  # ~20 s: one killed child per write boundary
def test_ingest_pubmed_killed_at_every_write_boundary(eutils: list[str], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``ingest pubmed``: the fetched parts (resumable), the library, the parts discarded. Run again after a kill,
    the same command resumes or re-reads and adds every record once."""
    ids = eutils
    monkeypatch.setenv("REFLIB_CACHE_DIR", str(tmp_path / "cache"))
    pristine = tmp_path / "pristine"
    pristine.mkdir()
    (pristine / "references.bib").write_bytes((FIXTURES / "import" / "hsg.bib").read_bytes())
    before = set(Library.load(pristine / "references.bib").keys())
    command = ["ingest", "pubmed", "hysterosalpingography", "--topic", "Diagnostics > HSG"]
    trials = kill_trials(pristine, tmp_path / "trials", ["--bib", "{dir}/references.bib", *command],
                         env={"REFLIB_CACHE_DIR": "{dir}/cache"})
    assert trials.code == 0 and len(trials) >= 3
    failures = []
    for folder in [*trials.killed, trials.finished]:
        trial = folder / "references.bib"
        assert _run(trial, *command) == 0  # the user runs the command again
        capsys.readouterr()
        lib = Library.load(trial)
        pmids = [lib.get(k).pmid for k in lib if lib.get(k).pmid in ids]
        kept = before <= set(lib.keys())
        if sorted(pmids) != sorted(set(pmids)) or not set(ids[:6]) <= {*pmids, *_pmids(lib, before)} or not kept:
            failures.append((folder.name, sorted(pmids)))
    print(f"ingest pubmed: {len(trials)} kills + 1 finished run, {len(failures)} failures")
    assert not failures, failures


def _pmids(lib: Library, keys: set[str]) -> set[str]:
    return {lib.get(k).pmid for k in keys if k in lib}
