"""`reflib dedupe --apply` and `--undo` killed (SIGKILL) at every write boundary: library and merge journal stay
consistent. After each kill, the next run settles the journal, and every merge the library holds can be undone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from library import Library
from library.cli import main
from library.dedupe.undo_log import journal_path, load_journal

from .conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent

# Runs a reflib command in a child that kills itself (SIGKILL: no cleanup, no finally) just before or just after
# its N-th os.replace - every atomic write of the library, the journal and the cache ends in one.
CHILD = """
import os, signal, sys
from library.cli import main
count, when = int(sys.argv[1]), sys.argv[2]
real, calls = os.replace, []

def replace(src, dst, *args, **kwargs):
    calls.append(dst)
    if len(calls) == count and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst, *args, **kwargs)
    if len(calls) == count and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)

os.replace = replace
code = main(sys.argv[3:])
print("replaced:", len(calls), file=sys.stderr)
sys.exit(code)
"""


def _child(tmp: Path, count: int, when: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REFLIB_CACHE_DIR": str(tmp / "cache"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", CHILD, str(count), when, *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def _writes(tmp: Path, *args: str) -> int:
    result = _child(tmp, 0, "never", *args)
    return int(result.stderr.rsplit("replaced:", 1)[1])


def _consistent(bib: Path) -> tuple[int, int]:
    """Settle the journal (as the next run does) and check it against the library: (merges held, undone)."""
    assert main(["--bib", str(bib), "dedupe", "--json"]) in (0, 1)  # the next run: recovers first
    lib = Library.load(bib)
    entries = load_journal(journal_path(bib))
    assert not [e for e in entries if e.state], entries  # nothing left marked
    gone = {"dreyer2017crossref", "vanwelie2019ris"} - set(lib.keys())
    journaled = {key for e in entries for key in e.removed}
    assert gone == journaled  # every merge the library holds is journaled, and only those
    for entry in entries:
        assert main(["--bib", str(bib), "dedupe", "--undo", entry.keeper]) == 0  # and each can be undone
    return len(gone), len(entries)


@pytest.fixture
def bib(tmp_path: Path) -> Path:
    target = tmp_path / "references.bib"
    shutil.copyfile(FIXTURES / "dedupe" / "library.bib", target)
    return target


@pytest.mark.slow  # ~40 s: one killed subprocess per write boundary
def test_apply_killed_at_every_write_boundary(bib: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = bib.read_bytes()
    total = _writes(tmp_path / "probe", "--bib", str(_copy(bib, tmp_path / "probe")), "dedupe", "--apply")
    assert total >= 3  # the journal (pending), the library, the journal (done); the cache
    outcomes = set()
    for count in range(1, total + 1):
        for when in ("before", "after"):
            trial = _copy(bib, tmp_path / f"apply-{count}-{when}")
            result = _child(trial.parent, count, when, "--bib", str(trial), "dedupe", "--apply")
            assert result.returncode == -signal.SIGKILL, result.stderr
            saved = trial.read_bytes()
            assert saved == original or b"@article{dreyer2017crossref," not in saved  # old bytes or merged
            outcomes.add(_consistent(trial))
            capsys.readouterr()
    assert (0, 0) in outcomes and (2, 2) in outcomes  # killed before the library was written, and after


@pytest.mark.slow  # ~35 s: one killed subprocess per write boundary
def test_undo_killed_at_every_write_boundary(bib: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--bib", str(bib), "dedupe", "--apply"]) == 1
    merged = bib.read_bytes()
    keeper = load_journal(journal_path(bib))[-1].keeper
    total = _writes(tmp_path / "probe", "--bib", str(_copy(bib, tmp_path / "probe")), "dedupe", "--undo", keeper)
    for count in range(1, total + 1):
        for when in ("before", "after"):
            trial = _copy(bib, tmp_path / f"undo-{count}-{when}")
            result = _child(trial.parent, count, when, "--bib", str(trial), "dedupe", "--undo", keeper)
            assert result.returncode == -signal.SIGKILL, result.stderr
            held, _ = _consistent(trial)
            assert held in (1, 2)  # the undone merge is either still held (and journaled) or gone from both
            capsys.readouterr()
    assert bib.read_bytes() == merged


def _copy(bib: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / bib.name
    shutil.copyfile(bib, target)
    for sidecar in (journal_path(bib),):
        if sidecar.exists():
            shutil.copyfile(sidecar, journal_path(target))
    return target


def test_a_refused_save_leaves_no_journal_entry(bib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The library changed on disk since it was loaded: the save is refused, the pending entries taken back."""
    from library.dedupe import find_duplicates, merge_cluster
    from library.dedupe.commit import save_merges
    from library.errors import ConflictError

    lib = Library.load(bib)
    results = [merge_cluster(lib, c.keys) for c in find_duplicates(lib.frame()).clusters]
    bib.write_text(bib.read_text() + "\n% edited elsewhere\n")
    with pytest.raises(ConflictError):
        save_merges(lib, results)
    assert load_journal(journal_path(bib)) == [] and b"@article{dreyer2017crossref," in bib.read_bytes()
