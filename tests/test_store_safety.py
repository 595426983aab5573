"""Concurrent writers, symlinked libraries, leftovers of killed saves (issue 21)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.synth import write_library
from benchmarks.torture import run_torture
from library import Library
from library.model import Record

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
def test_concurrent_api_and_cli_writers_lose_nothing(tmp_path: Path) -> None:
    path = write_library(tmp_path / "lib.bib", 60)
    result = run_torture(path, api_writers=2, cli_writers=1, edits=4)
    assert result.attempts == 12
    assert result.failures == []
    assert result.successes >= 1  # the first save of some writer always goes through


def test_symlinked_library_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "data" / "refs.bib"
    real.parent.mkdir()
    real.write_text("@article{a,\n  title = {A}\n}\n")
    link = tmp_path / "references.bib"
    link.symlink_to(real)
    lib = Library.load(link, use_cache=False)
    lib.add(Record(key="b", title="B"))
    lib.save()
    assert link.is_symlink()
    assert "@article{b," in real.read_text()
    assert not (tmp_path / "references.bib.lock").exists()  # the lock is taken beside the target
    assert Path(str(real) + ".lock").exists()


def test_leftovers_of_killed_saves_are_removed_but_not_a_live_writers(tmp_path: Path) -> None:
    path = tmp_path / "lib.bib"
    path.write_text("@article{a,\n  title = {A}\n}\n")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_pid = int(dead.stdout)
    killed = tmp_path / f".lib.bib.{dead_pid}.abcd1234.tmp"
    killed.write_bytes(b"x" * 1000)
    live = tmp_path / f".lib.bib.{os.getppid()}.efgh5678.tmp"  # a process that is still running
    live.write_bytes(b"y")
    lib = Library.load(path, use_cache=False)
    lib.add(Record(key="b", title="B"))
    lib.save()
    assert not killed.exists()
    assert live.exists()


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_fifo_library_is_refused_with_one_line(tmp_path: Path) -> None:
    fifo = tmp_path / "lib.bib"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-m", "library.cli", "--bib", str(fifo), "search"], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=False)
    assert proc.returncode == 2
    assert "FIFO" in proc.stderr and "Traceback" not in proc.stderr


def _reflib(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "library.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=False)


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
def test_import_refuses_devices_fifos_and_deep_json_in_one_line(tmp_path: Path) -> None:
    lib = tmp_path / "lib.bib"
    lib.write_text("@article{a,\n  title = {A}\n}\n")
    before = lib.read_bytes()
    fifo = tmp_path / "pipe.ris"
    os.mkfifo(fifo)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    for source, words in ((fifo, "FIFO"), (Path("/dev/zero"), "character device"), (deep, "nested too deeply")):
        proc = _reflib("--bib", str(lib), "import", str(source))
        assert proc.returncode == 1, proc.stderr
        assert words in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert lib.read_bytes() == before
