"""Digits that are not decimal digits ("²", "③"): str.isdigit() is true of them, int() refuses them. Every such
test in the code is isdecimal(), so a superscript in a field is text, never a crash (an editor's audit found
"cited_in = {slug#²}" stopping every command; these are the other places that had the same pattern)."""

from __future__ import annotations

from pathlib import Path

from library.cli import main
from library.dedupe.notices import page_span
from library.export.citeproc_fixes import last_page

LIBRARY = r"""
@article{sup2020,
  author = {M{\"u}ller, Hans and Smith, J²}, title = {Tubal patency ² after HSG with oil-based contrast},
  journal = {Fertil² Steril}, year = {2020²}, month = {²}, volume = {²}, number = {③}, pages = {²-³},
  doi = {10.1000/²}, pmid = {²}, pmcid = {PMC²}, issn = {²²²²-²²²²}, edition = {²}, relevance = {²},
  level = {OCEBM2011 therapy ²}, design = {rct}, cited_in = {hysterosalpingogram#²},
  discussed_in = {hysterosalpingogram}, abstract = {BACKGROUND: ² women. RESULTS: ③.}, unverified = {pages}
}
@article{plain2021, author = {Doe, Jane}, title = {Radiation dose of HSG}, journal = {Radiology}, year = {2021},
  pages = {12-15}}
"""


def test_page_numbers_with_superscripts_are_not_numbers() -> None:
    assert page_span("²", "³") is None  # before: ValueError from int("²")
    assert page_span("1223", "²") == (1223, 1223)
    assert page_span("1223", "9") == (1223, 1229)
    assert last_page("12", "²", "minimal") == "²"  # before: ValueError
    assert last_page("1305", "11", "expanded") == "1311"


def test_every_command_reads_a_library_with_superscript_digits(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bib = tmp_path / "lib.bib"
    bib.write_text(LIBRARY, encoding="utf-8")
    commands = [["check"], ["stats"], ["search", "-q", "tubal", "--json"], ["classify"], ["dedupe"],
                ["entry", "show", "hysterosalpingogram"], ["entry", "show", "hysterosalpingogram", "--format", "json"],
                ["publish", str(tmp_path / "site")]]
    commands += [["export", "-f", f] for f in ("bibtex", "biblatex", "ris", "csl-json", "csv", "ama", "vancouver",
                                                 "apa", "mla")]
    for command in commands:
        code = main(["--bib", str(bib), *command])
        out = capsys.readouterr()
        assert code in (0, 1), (command, out.err)
        assert "unexpected error" not in out.err + out.out, (command, out.err)
    assert "²" in bib.read_text(encoding="utf-8")  # kept as written
