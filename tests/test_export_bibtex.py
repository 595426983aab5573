"""BibTeX and BibLaTeX exports: field mapping, LaTeX encoding, title protection, and real compiles.

The compile tests run the Debian tools `make test` installs (texlive-latex-base, texlive-latex-recommended for
natbib, texlive-bibtex-extra for biblatex, biber): one document cites every exported record — the five golden
records, the hostile one, the fact sheet and all of references.bib — and must build without errors.
Goldens tests/golden/export/five.bib and five.biblatex.bib were read by eye: LaTeX accents ({\\"e}, {\\AA},
{\\'a}), braced collective authors, braced capitalized words, month macros, @online -> @misc for BibTeX with url +
"Accessed" note, BibLaTeX date/journaltitle/shortjournal/eprint(pubmed)/eid/urldate, no evidence fields.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from library.export import export_records, to_biblatex, to_bibtex
from library.export.bibtex import bibtex_key, protect_title
from library.model import Author, Record
from tests.conftest import REFERENCES
from tests.fixtures.export_records import (
    asrm2003factsheet,
    check_golden,
    dreyer2017oil,
    every_record,
    five_records,
    hostile_record,
    symbols_record,
    wang2020cochrane,
)


def entry(text: str, key: str) -> str:
    match = re.search(r"@\w+\{" + re.escape(key) + r",\n.*?\n\}\n", text, re.DOTALL)
    assert match, f"no entry {key}"
    return match.group(0)


def fields(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^  (\w+)\s+= \{?(.*?)\}?,?$", text, re.MULTILINE)}


def all_records() -> list[Record]:
    return every_record(REFERENCES)


# --- BibTeX ------------------------------------------------------------------------------------------------------

def test_golden_bibtex_and_biblatex() -> None:
    check_golden("five.bib", to_bibtex(five_records()))
    check_golden("five.biblatex.bib", to_biblatex(five_records()))


def test_bibtex_article_fields() -> None:
    got = fields(entry(to_bibtex([dreyer2017oil()]), "dreyer2017oil"))
    assert got["title"] == "{Oil-Based} or {Water-Based Contrast} for {Hysterosalpingography} in {Infertile Women}"
    assert "Goddijn, Mari{\\\"e}tte" in got["author"] and got["author"].count(" and ") == 31
    assert got["journal"] == "New England Journal of Medicine"
    assert got["month"] == "may" and got["pages"] == "2043--2052" and got["number"] == "21"
    assert got["doi"] == "10.1056/NEJMoa1612337" and got["pmid"] == "28520519"
    for custom in ("topics", "design", "level", "tldr", "stance", "relevance", "unverified", "discussed_in"):
        assert custom not in got


def test_bibtex_keep_custom_keeps_evidence_fields() -> None:
    got = fields(entry(to_bibtex([dreyer2017oil()], keep_custom=True), "dreyer2017oil"))
    assert got["topics"] == "Diagnostics > Tubal patency > HSG > Contrast media"
    assert got["design"] == "rct" and got["level"] == "OCEBM2011 therapy 2" and got["relevance"] == "5"
    assert got["shortjournal"] == "N Engl J Med"


def test_bibtex_collective_author_chapter_and_web_page() -> None:
    five = to_bibtex(five_records())
    assert "author       = {{American College of Obstetricians and Gynecologists' Committee on Gynecologic " \
           "Practice}}" in entry(five, "acog2020co800")
    chapter = fields(entry(five, "lindqvist2019chapter"))
    assert entry(five, "lindqvist2019chapter").startswith("@incollection{")
    assert chapter["author"] == "Lindqvist, {\\AA}sa and O'Neill, Ciar{\\'a}n"
    assert chapter["editor"].startswith("Moreau, H{\\'e}l{\\`e}ne")
    assert chapter["address"] == "Cham" and chapter["edition"] == "2" and chapter["isbn"] == "978-3-030-00000-4"
    web = entry(five, "acog2020hysteroscopyweb")
    assert web.startswith("@misc{")  # classic BibTeX has no @online
    assert "note         = {ACOG Committee Opinion No. 800. Accessed 2025-01-15}" in web
    assert "url          = {https://www.acog.org/clinical/" in web


def test_protect_title() -> None:
    assert protect_title("Tubal flushing for subfertility") == "Tubal flushing for subfertility"
    assert protect_title("HSG versus SIS: a pH study in Dutch women") == \
        "{HSG} versus {SIS:} a {pH} study in {Dutch} women"
    assert protect_title("Müller–Hillis 50% rule") == '{M{\\"u}ller--Hillis} 50\\% rule'
    assert protect_title("") == ""


def test_bibtex_escapes_latex_specials_and_keeps_identifiers_verbatim() -> None:
    result = export_records([hostile_record()], "bibtex")
    got = fields(entry(result.text, "hostile_1"))
    assert "50\\% of \\$5 $\\leq$ 10 $\\mu$g \\& $\\alpha$-$\\beta$" in got["title"]
    assert got["journal"] == "J \\{Unbalanced \\& Weird\\} Stud"
    assert got["doi"] == "10.1000/abc_def%20#x"  # \doi / \url typeset identifiers verbatim
    assert "hostile 1: citation key written as 'hostile_1'" in result.warnings[0]
    assert bibtex_key("a,b{c}") == "a_b_c_"


def test_symbols_pdflatex_rejects_become_latex() -> None:
    title = fields(entry(to_bibtex([symbols_record()]), "symbols2022"))["title"]
    assert title == ("{CO\\textsubscript{2}} at $-$80 \\textcelsius{}, {HCO\\textsubscript{3}\\textsuperscript{$-$}} "
                     "and {3$'$-UTR:} $\\epsilon$ $\\neq$ {$\\Omega$,} 10\\textsuperscript{5} cells, p $\\leq$ 0.05\\hspace{0pt}")


def test_bibtex_reports_missing_required_fields() -> None:
    result = export_records([Record(key="nojournal", title="T", authors=[Author("Roe", "J")], year=2020)], "bibtex")
    assert result.warnings == ["nojournal: missing journal for BibTeX"]
    assert "@article{nojournal," in result.text


# --- BibLaTeX ----------------------------------------------------------------------------------------------------

def test_biblatex_article_fields() -> None:
    got = fields(entry(to_biblatex([dreyer2017oil()]), "dreyer2017oil"))
    assert got["journaltitle"] == "New England Journal of Medicine" and got["shortjournal"] == "N Engl J Med"
    assert got["date"] == "2017-05" and got["eprint"] == "28520519" and got["eprinttype"] == "pubmed"
    assert got["doi"] == "10.1056/NEJMoa1612337"
    for absent in ("journal", "year", "month", "pmid", "topics", "design"):
        assert absent not in got


def test_biblatex_article_number_web_page_and_access_date() -> None:
    cochrane = fields(entry(to_biblatex([wang2020cochrane()]), "wang2020cochrane"))
    assert cochrane["eid"] == "CD003718" and "pages" not in cochrane and cochrane["number"] == "10"
    web = entry(to_biblatex([asrm2003factsheet()]), "asrm2003factsheet")
    assert web.startswith("@online{") and "urldate      = {2007-11-30}" in web and "date         = {2003-05}" in web
    result = export_records([asrm2003factsheet()], "biblatex")
    assert result.warnings == ["asrm2003factsheet: missing url for BibLaTeX"]


def test_biblatex_thesis_language_and_keep_custom() -> None:
    thesis = Record(key="t1", entry_type="phdthesis", authors=[Author("Roe", "Jane")], title="Tubes",
                    publisher="University of Amsterdam", year=2019, language="eng", pmcid="PMC123456")
    text = to_biblatex([thesis])
    assert text.startswith("@thesis{t1,") and "type         = {phdthesis}" in text
    assert "institution  = {University of Amsterdam}" in text and "langid       = {english}" in text
    assert "pmcid" not in text  # not in biblatex's data model
    assert "pmcid        = {PMC123456}" in to_biblatex([thesis], keep_custom=True)


# --- real TeX tools ---------------------------------------------------------------------------------------------

def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian texlive-latex-base / texlive-bibtex-extra / "
                    "biber; `make system-deps` installs them)")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=240, errors="replace")


def _latex_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("!") or "undefined" in line.lower()]


@pytest.mark.slow
def test_bibtex_export_compiles_with_pdflatex_and_bibtex(tmp_path: Path) -> None:
    _need("pdflatex", "bibtex")
    records = all_records()
    (tmp_path / "refs.bib").write_text(to_bibtex(records), encoding="utf-8")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n\\usepackage{url}\n"
        "\\usepackage[numbers]{natbib}\n\\begin{document}\n\\nocite{*}\n"
        "\\bibliographystyle{plainnat}\n\\bibliography{refs}\n\\end{document}\n", encoding="utf-8")
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    assert _run(latex, tmp_path).returncode == 0
    bibtex = _run(["bibtex", "doc"], tmp_path)
    assert bibtex.returncode in (0, 1), bibtex.stdout  # 1 = warnings only
    assert "error message" not in bibtex.stdout, bibtex.stdout
    warnings = [line for line in bibtex.stdout.splitlines() if line.startswith("Warning--")]
    # the only warnings: journal records with an issue but no volume (Cochrane, a supplement)
    assert all("there's a number but no volume" in w for w in warnings), warnings
    _run(latex, tmp_path)
    final = _run(latex, tmp_path)
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert final.returncode == 0 and not _latex_errors(log), _latex_errors(log)
    assert (tmp_path / "doc.bbl").read_text(encoding="utf-8").count("\\bibitem") == len(records)


@pytest.mark.slow
def test_biblatex_export_validates_and_compiles_with_biber(tmp_path: Path) -> None:
    _need("pdflatex", "biber")
    records = all_records()
    (tmp_path / "refs.bib").write_text(to_biblatex(records), encoding="utf-8")
    check = _run(["biber", "--tool", "--validate-datamodel", "refs.bib"], tmp_path)
    problems = [line for line in check.stdout.splitlines() if line.startswith(("WARN", "ERROR"))]
    # the one record without URL is flagged (so the validation does look); everything else is clean
    assert check.returncode == 0 and problems == [
        "WARN - Datamodel: Entry 'asrm2003factsheet' (refs.bib): Missing mandatory field - one of "
        "'url, doi, eprint' must be defined"], problems

    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n"
        "\\usepackage[backend=biber,style=numeric]{biblatex}\n\\addbibresource{refs.bib}\n"
        "\\begin{document}\n\\nocite{*}\n\\printbibliography\n\\end{document}\n", encoding="utf-8")
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    assert _run(latex, tmp_path).returncode == 0
    biber = _run(["biber", "doc"], tmp_path)
    assert biber.returncode == 0 and "ERROR" not in biber.stdout, biber.stdout
    assert [line for line in biber.stdout.splitlines() if line.startswith("WARN")] == []
    _run(latex, tmp_path)
    final = _run(latex, tmp_path)
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert final.returncode == 0 and not _latex_errors(log), _latex_errors(log)
    assert (tmp_path / "doc.bbl").read_text(encoding="utf-8").count("\\entry{") == len(records)
