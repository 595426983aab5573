"""Findings of a user's audit of exports and round trips (2026-12-07, night), each as the user met it."""

from __future__ import annotations

from pathlib import Path

from library.cli import main


def _bib(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lib.bib"
    path.write_text(text, encoding="utf-8")
    return path


def test_search_lists_a_record_without_a_year(tmp_path, capsys):
    bib = _bib(tmp_path, "@article{noyear, title={A study without a year}, author={Smith, Jane}}\n"
                         "@article{dated, title={Another}, author={Doe, J}, year={2020}}\n")
    assert main(["--bib", str(bib), "search"]) == 0  # was: "unexpected error: boolean value of NA is ambiguous"
    out = capsys.readouterr().out
    assert "A study without a year" in out and "2020" in out and "2 record(s)" in out


def test_a_pmid_only_record_survives_its_own_ris_and_csl_export(tmp_path, capsys):
    """A CSV row with only a PMID is imported (enrich fills it in later); its RIS / CSL-JSON export must be too."""
    ris = tmp_path / "pmid.ris"
    ris.write_text("TY  - JOUR\nAN  - 10051933\nDB  - PubMed\nER  - \n\n", encoding="utf-8")
    csl = tmp_path / "pmid.json"
    csl.write_text('[{"type": "article-journal", "PMID": "10051933"}]', encoding="utf-8")
    for source in (ris, csl):
        bib = tmp_path / f"{source.suffix[1:]}.bib"
        assert main(["--bib", str(bib), "import", str(source)]) == 0
        assert "1 added" in capsys.readouterr().out  # was: "no title, author or DOI; skipped"
        assert "10051933" in bib.read_text(encoding="utf-8")


def test_a_csv_cell_longer_than_128_kb_is_read(tmp_path, capsys):
    """The csv module stops at 128 KB per cell by default; a record may hold 1 MB of text (ingest.readers.limits)."""
    abstract = "word " * 40_000  # 200 KB
    table = tmp_path / "long.csv"
    table.write_text(f"title,abstract\nA long one,{abstract}\nA short one,short\n", encoding="utf-8")
    bib = tmp_path / "lib.bib"
    assert main(["--bib", str(bib), "import", str(table)]) == 0
    assert "2 added" in capsys.readouterr().out  # was: "field larger than field limit (131072)", 0 added


def test_a_keyword_holding_a_comma_stays_one_keyword_through_bibtex_and_csl(tmp_path, capsys):
    bib = _bib(tmp_path, "@article{k, title={Ectopic pregnancy after IVF}, author={Berg, A}, year={2020},\n"
                         "  keywords={IVF; Pregnancy, Ectopic; hCG}}\n"
                         "@article{plain, title={Plain}, author={Doe, J}, year={2021}, keywords={HSG, pain}}\n")
    for fmt, name in (("bibtex", "out.bib"), ("csl-json", "out.json")):
        out = tmp_path / name
        assert main(["--bib", str(bib), "export", "-f", fmt, "-o", str(out)]) == 0
        again = tmp_path / f"again-{fmt}.bib"
        assert main(["--bib", str(again), "import", str(out)]) == 0
        capsys.readouterr()
        from library import Library
        records = {r.title: r for r in Library.load(again, use_cache=False).records()}
        assert records["Ectopic pregnancy after IVF"].keywords == ["IVF", "Pregnancy, Ectopic", "hCG"]  # was 4
        assert records["Plain"].keywords == ["HSG", "pain"]
    assert "= {HSG, pain}" in (tmp_path / "out.bib").read_text(encoding="utf-8")  # no comma: as before


def _two(tmp_path: Path) -> Path:
    return _bib(tmp_path, "@article{a, title={One}, author={Berg, A}, year={2020}}\n"
                          "@article{b, title={Two}, author={Doe, J}, year={2021}}\n")


def test_the_output_files_extension_picks_the_format(tmp_path, capsys):
    bib = _two(tmp_path)
    for name, start in (("out.ris", "TY  - "), ("out.json", "["), ("out.csv", "key,"), ("out.bib", "@article{")):
        assert main(["--bib", str(bib), "export", "-o", str(tmp_path / name)]) == 0  # was: BibTeX in every file
        assert (tmp_path / name).read_text(encoding="utf-8").lstrip("\ufeff").startswith(start), name
    assert main(["--bib", str(bib), "export", "-f", "ris", "-o", str(tmp_path / "odd.bib")]) == 0
    assert "whose extension says bibtex" in capsys.readouterr().err  # the user's format is kept, with a warning
    assert (tmp_path / "odd.bib").read_text(encoding="utf-8").startswith("TY  - ")


def test_an_empty_result_never_replaces_a_file(tmp_path, capsys):
    bib, good = _two(tmp_path), tmp_path / "good.bib"
    good.write_text("precious\n", encoding="utf-8")
    assert main(["--bib", str(bib), "export", "--year-from", "2090", "-o", str(good), "--force"]) == 1
    assert good.read_text(encoding="utf-8") == "precious\n"  # was: 0 bytes, exit 0
    assert "not written" in capsys.readouterr().err


def test_export_writes_through_a_symlink_and_names_the_target_on_errors(tmp_path, capsys):
    bib = _two(tmp_path)
    (tmp_path / "shared").mkdir()
    target = tmp_path / "shared" / "refs.bib"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.bib"
    link.symlink_to(target)
    assert main(["--bib", str(bib), "export", "-o", str(link), "--force"]) == 0
    assert link.is_symlink() and "@article{a," in target.read_text(encoding="utf-8")  # was: the link replaced
    missing = tmp_path / "nodir" / "out.bib"
    assert main(["--bib", str(bib), "export", "-o", str(missing)]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and ".tmp" not in err  # was: "unexpected error: FileNotFoundError ... .tmp"
    assert main(["--bib", str(bib), "export", "-o", "/dev/null", "--force"]) == 1  # a device is never replaced
    assert "not a regular file" in capsys.readouterr().err


def test_biblatex_type_keys_are_printed_as_words(tmp_path, capsys):
    bib = _bib(tmp_path, "@phdthesis{t, title={Tubal flushing}, author={Student, A}, school={Univ X}, year={2018},"
                         " type={phdthesis}}\n@techreport{r, title={Dose report}, author={Org, B}, institution={Inst},"
                         " year={2019}, type={techreport}}\n@thesis{m, title={Oil}, author={S, C}, institution={U},"
                         " year={2018}, type={mathesis}}\n@thesis{own, title={HSG}, author={D, E}, institution={U},"
                         " year={2017}, type={Habilitation}}\n")
    assert main(["--bib", str(bib), "export", "-f", "apa"]) == 0
    out = capsys.readouterr().out
    for printed in ("[Doctoral dissertation]", "[Technical report]", "[Master's thesis]", "[Habilitation]"):
        assert printed in out  # was: [Phdthesis], [Techreport], [Mathesis]
    assert "Phdthesis" not in out and "Techreport" not in out


def test_biblatex_export_keeps_the_old_keys_and_a_retracted_study_is_named(tmp_path, capsys):
    bib = _bib(tmp_path, "@article{new2020, ids={old2020}, title={T}, author={A, B}, journal={J}, year={2020}}\n"
                         "@article{gone, title={Withdrawn work}, author={C, D}, journal={J}, year={2019},"
                         " retracted={yes}}\n")
    assert main(["--bib", str(bib), "export", "-f", "biblatex"]) == 0
    captured = capsys.readouterr()
    assert "ids          = {old2020}" in captured.out  # biblatex's own alias field; was only with --keep-custom
    assert "gone: this study is retracted" in captured.err  # was: exported with no word about it


def test_in_press_survives_ris_csv_and_csl_json(tmp_path, capsys):
    bib = _bib(tmp_path, "@article{ip, title={Accepted but not yet out}, author={A, B}, journal={J},"
                         " year={in press}}\n")
    for fmt, name in (("ris", "ip.ris"), ("csv", "ip.csv"), ("csl-json", "ip.json")):
        out = tmp_path / name
        assert main(["--bib", str(bib), "export", "-f", fmt, "-o", str(out)]) == 0
        again = tmp_path / f"again-{fmt}.bib"
        assert main(["--bib", str(again), "import", str(out)]) == 0
        capsys.readouterr()
        text = again.read_text(encoding="utf-8")
        assert "year         = {in press}" in text, fmt  # was: no year at all after RIS / CSV / CSL-JSON


def test_corporate_authors_survive_a_ris_round_trip(tmp_path, capsys):
    """RIS has no field for a body: reflib writes its name without a comma, and reads such names back as bodies."""
    bib = _bib(tmp_path, "@article{cdc, title={Tubal patency testing guidance}, journal={J}, year={2020},"
                         " author={{Centers for Disease Control and Prevention} and {NICE} and Smith, Jane}}\n")
    out = tmp_path / "out.ris"
    assert main(["--bib", str(bib), "export", "-o", str(out)]) == 0
    again = tmp_path / "again.bib"
    assert main(["--bib", str(again), "import", str(out)]) == 0
    capsys.readouterr()
    from library import Library
    (record,) = Library.load(again, use_cache=False).records()
    assert [a.literal for a in record.authors[:2]] == ["Centers for Disease Control and Prevention", "NICE"]
    assert (record.authors[2].family, record.authors[2].given) == ("Smith", "Jane")  # was: a person "Prevention"
