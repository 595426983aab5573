"""``reflib export``: filters as in search, formats, -o with --force, warnings on stderr, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from library.cli import main
from tests.conftest import REFERENCES, ROOT


def export(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--bib", str(REFERENCES), "--no-cache", "export", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_bibtex_to_stdout_with_filters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = export(capsys, "--year-from", "2020", "--query", "hysteroscopy")
    assert code == 0, err
    assert "@article{acog2020co800," in out
    assert "@article{acog2018ta13," not in out and "@article{dreyer2017oil," not in out
    assert "topics" not in out  # evidence fields stay out by default
    code, out, _ = export(capsys, "--year-from", "2020", "--query", "hysteroscopy", "--keep-custom")
    assert "topics       = {Diagnostics > Hysteroscopy}" in out


def test_formatted_style_numbered_in_library_order(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = export(capsys, "-f", "vancouver", "--topic", "Diagnostics > Hysteroscopy")
    assert code == 0
    entries = [line for line in out.splitlines() if line]
    assert len(entries) == 2 and entries[0].startswith("1. American College") and entries[1].startswith("2. ")
    code, out, _ = export(capsys, "-f", "apa", "--output", "html", "--key", "dreyer2017oil")
    assert out.startswith('<div class="csl-bib-body">') and "<i>New England Journal of Medicine</i>" in out


def test_unknown_format_or_output_exits_2_and_lists_valid_names(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = export(capsys, "-f", "chicago")
    assert code == 2 and out == ""  # a usage error, like an unknown --topic
    assert "unknown format 'chicago'" in err and "bibtex, biblatex, ris, csl-json, csv, ama, vancouver, apa, mla" in err
    code, _, err = export(capsys, "-f", "ama", "--output", "rtf")
    assert code == 2 and "text, md, html" in err


def test_output_file_needs_force_to_replace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out.ris"
    code, out, err = export(capsys, "-f", "ris", "-o", str(target))
    assert code == 0 and out == "" and "36 record(s) written" in err
    assert target.read_text(encoding="utf-8").count("TY  - ") == 36
    target.write_text("keep me", encoding="utf-8")
    code, _, err = export(capsys, "-f", "ris", "-o", str(target))
    assert code == 1 and "--force" in err and target.read_text(encoding="utf-8") == "keep me"
    code, _, _ = export(capsys, "-f", "csv", "-o", str(target), "--force", "--design", "rct")
    assert code == 0 and target.read_text(encoding="utf-8").startswith("key,entry_type,")
    assert [p.name for p in tmp_path.iterdir()] == ["out.ris"]  # no temp file left behind


def test_warnings_go_to_stderr_and_do_not_fail(capsys: pytest.CaptureFixture[str], tmp_bib) -> None:  # type: ignore[no-untyped-def]
    path = tmp_bib("@article{bare2021,\n  title = {A study with almost nothing},\n  year = {2021}\n}\n")
    code = main(["--bib", str(path), "--no-cache", "export", "-f", "ama"])
    out, err = capsys.readouterr()
    assert code == 0 and "A study with almost nothing" in out
    assert "warning: bare2021: missing journal for AMA" in err


def test_unknown_key_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = export(capsys, "--key", "nosuchkey")
    assert code == 1 and "nosuchkey" in err


@pytest.mark.slow  # ~3-5 s: real reflib processes
def test_as_a_user_runs_it() -> None:
    result = subprocess.run([sys.executable, "-m", "library.cli", "--bib", str(REFERENCES), "export", "-f",
                             "csl-json", "--design", "guideline"], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"id": "acog2020co800"' in result.stdout and '"id": "acog2018ta13"' in result.stdout
