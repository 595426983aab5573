"""One error tree with a stable exit-code mapping, and broken side files reported instead of silently skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.base import ReadError
from library import Library
from library.cli import main
from library.errors import EXIT_CODES, BibFileError, ConflictError, InputError, LibraryError, exit_code
from library.identifiers import InvalidIdentifier, normalize_doi

from .conftest import FIXTURES


def test_every_reported_error_is_a_library_error_with_a_stable_exit_code() -> None:
    for error in (ReadError("x.ris: empty"), InputError("bad"), InvalidIdentifier("DOI", "x", "no prefix"),
                  ConflictError("changed on disk")):
        assert isinstance(error, LibraryError) and exit_code(error) == 1
    assert exit_code(BibFileError("missing")) == 2
    assert [code for _, code in EXIT_CODES] == [2, 1]
    with pytest.raises(ValueError, match="invalid DOI"):  # still a ValueError for value checks
        normalize_doi("not-a-doi")


def test_unreadable_input_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bib = tmp_path / "references.bib"
    bib.write_text("")
    assert main(["--bib", str(bib), "import", str(tmp_path / "missing.ris")]) == 1
    err = capsys.readouterr().err
    assert "missing.ris" in err and "nothing imported" in err and "Traceback" not in err


def test_broken_taxonomy_is_a_warning_with_file_and_line_and_the_import_goes_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bib = tmp_path / "references.bib"
    bib.write_text("")
    (tmp_path / "taxonomy.toml").write_text('[topics."Diagnostics"]\nkeywords = "not a list\n', encoding="utf-8")
    assert main(["--bib", str(bib), "import", str(FIXTURES / "import" / "hsg.ris")]) == 0
    out = capsys.readouterr().out
    assert "warning: " in out and "taxonomy.toml" in out and "line 2" in out and "were not classified" in out
    lib = Library.load(bib)
    assert len(lib) == 3 and all(not lib.get(k).topics_auto and not lib.get(k).design_auto for k in lib)


def test_a_valid_taxonomy_classifies_without_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bib = tmp_path / "references.bib"
    bib.write_text("")
    shutil.copyfile(Path(__file__).resolve().parent.parent / "taxonomy.toml", tmp_path / "taxonomy.toml")
    assert main(["--bib", str(bib), "import", str(FIXTURES / "import" / "hsg.ris")]) == 0
    assert "0 warning(s)" in capsys.readouterr().out
    assert any(Library.load(bib).get(k).topics_auto for k in Library.load(bib))
