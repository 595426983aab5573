"""The reflib CLI as a user runs it: a real subprocess, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES, REFERENCES

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # real reflib processes, 1-7 s each (the fast suite runs the CLI in-process elsewhere)


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "library.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=full_env, timeout=120)


def test_search_json_filters_by_query_and_years():
    result = run("--bib", str(REFERENCES), "search", "--query", "oil contrast", "--year-from", "2018", "--json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    keys = {r["key"] for r in records}
    assert {"fang2018oil", "vanrijswijk2020tubal", "tsui2023metaanalysis"} <= keys
    assert "dreyer2017oil" not in keys
    assert all(r["year"] >= 2018 for r in records)


def test_search_default_bib_from_cwd_and_env(tmp_path, references_copy):
    assert "36 record(s)" in run("search", cwd=references_copy.parent).stdout
    env = {"REFLIB_BIB": str(REFERENCES)}
    assert "36 record(s)" in run("search", cwd=tmp_path, env=env).stdout


def test_check_clean_library_exits_0(tmp_path):
    clean = tmp_path / "clean.bib"
    clean.write_text("@article{a2020,\n  author = {Smith, Ann},\n  title = {A study},\n  journal = {J},\n"
                     "  year = {2020},\n  doi = {10.1000/xyz},\n  pmid = {123456},\n"
                     "  topics = {Diagnostics > Hysteroscopy},\n  unverified = {none}\n}\n", encoding="utf-8")
    result = run("--bib", str(clean), "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems found" in result.stdout


def test_check_lists_malformed_blocks_and_exits_1():
    result = run("--bib", str(FIXTURES / "mixed.bib"), "check")
    assert result.returncode == 1
    assert f"{FIXTURES / 'mixed.bib'}:21: malformed" in result.stdout


def test_stats_json():
    data = json.loads(run("--bib", str(REFERENCES), "stats", "--json").stdout)
    assert data["records"] == 36 and data["years"] == [1984, 2023]


@pytest.mark.parametrize("make,expected", [
    (lambda d: d / "missing.bib", "no such file"),
    (lambda d: d, "is a directory"),
])
def test_unreadable_library_is_one_line_exit_2(tmp_path, make, expected):
    result = run("--bib", str(make(tmp_path)), "stats")
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_not_utf8_names_path_and_line(tmp_path):
    path = tmp_path / "latin1.bib"
    path.write_bytes("@article{a,\n  title = {ok}\n}\n\n@article{b,\n  author = {M\xfcller, J.}\n}\n".encode("latin-1"))
    result = run("--bib", str(path), "check")
    assert result.returncode == 2
    assert str(path) in result.stderr and "not UTF-8" in result.stderr and "line 6" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exit_2():
    result = run("search", "--year-from", "abc")
    assert result.returncode == 2


def test_search_level_accepts_the_last_words_of_the_level():
    full = {r["key"] for r in json.loads(run("--bib", str(REFERENCES), "search", "--level", "OCEBM2011 therapy 1",
                                             "--json").stdout)}
    short = {r["key"] for r in json.loads(run("--bib", str(REFERENCES), "search", "--level", "1", "--json").stdout)}
    assert full and full <= short
    assert all(r["level"].endswith(" 1") for r in json.loads(
        run("--bib", str(REFERENCES), "search", "--level", "1", "--json").stdout))


def test_a_reader_that_goes_away_does_not_stop_an_import_before_its_save(tmp_path):
    """``reflib import FILE | head -1``: the pipe closes after the first line, and the import still saves what
    it reports (it printed "N added" and saved nothing before: the save came after the report)."""
    bib = tmp_path / "lib.bib"
    bib.write_text("", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "library.cli", "--bib", str(bib), "import",
                                str(FIXTURES / "import" / "hsg.ris")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=ROOT)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, errors
    assert "Traceback" not in errors
    text = bib.read_text(encoding="utf-8")
    assert text.count("\n@") + text.startswith("@") >= 3  # the file's records are in the library
