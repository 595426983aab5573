"""The importer contract (match, merge, key, tag, link, dry run) and the `reflib import` command."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from ingest.importer import import_records
from ingest.readers import read_file
from library.cli import main
from library.model import Author, EntryLink, Record
from library.store import Library

FIXTURES = Path(__file__).parent / "fixtures" / "import"

LIBRARY = """@article{dreyer2017oil,
  author       = {Dreyer, Kim},
  title        = {Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women},
  journal      = {New England Journal of Medicine},
  year         = {2017},
  doi          = {10.1056/NEJMOA1612337},
  cited_in     = {hsg#1; other#4},
  protect      = {pages}
}

@article{fang2018oil,
  author       = {Fang, Fang},
  title        = {Oil-based versus water-based contrast: a meta-analysis},
  journal      = {Fertility and Sterility},
  year         = {2018},
  pmid         = {29908778},
  cited_in     = {hsg#3}
}
"""


@pytest.fixture
def lib_path(tmp_bib) -> Path:  # type: ignore[no-untyped-def]
    return tmp_bib(LIBRARY)  # type: ignore[no-any-return]


def _new(title: str, **kwargs: object) -> Record:
    return Record(key="", authors=[Author("Mol", "Ben")], title=title, year=2020, **kwargs)  # type: ignore[arg-type]


# --- the importer ---------------------------------------------------------------------------------------------
def test_exact_doi_match_fills_only_empty_fields(lib_path: Path) -> None:
    lib = Library.load(lib_path)
    incoming = Record(key="Dreyer2017", title="Oil-based or water-based contrast for hysterosalpingography in "
                      "infertile women.", doi="https://doi.org/10.1056/nejmoa1612337", pmid="28520519",
                      volume="376", pages="2043-52", year=2016, authors=[Author("Dreyer", "K")])
    report = import_records(lib, [incoming], source="x.ris")
    assert report.added == [] and report.review == []
    merged = report.merged[0]
    assert (merged.key, merged.matched_on) == ("dreyer2017oil", "doi")  # DOI compared case-insensitively
    assert "same DOI" in merged.reasons and "first author same" in merged.reasons  # why: shown to the user
    assert merged.filled == ["volume", "pmid"]  # pages is protected; title/year/doi kept
    record = lib.get("dreyer2017oil")
    assert (record.pmid, record.volume, record.pages) == ("28520519", "376", "")
    assert record.title == "Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women"
    assert record.doi == "10.1056/NEJMOA1612337"  # never overwritten, case kept
    assert record.provenance == "year: 2016 (from x.ris)" and merged.conflicts == ["year: 2016 (from x.ris)"]


def test_a_shared_doi_under_another_title_is_added_and_listed_as_a_likely_wrong_identifier(lib_path: Path) -> None:
    """A conference bibliography's copy-pasted DOI: never merged, never dropped; both records for an editor."""
    lib = Library.load(lib_path)
    wrong = Record(key="", title="Lattice-based signatures with tight reductions", year=2017,
                   authors=[Author("Chen", "Wei")], doi="10.1056/NEJMoa1612337")
    report = import_records(lib, [wrong], source="crypto.bib")
    assert [a.key for a in report.added] == ["chen2017lattice"] and report.merged == []
    [pair] = report.review
    assert (pair.key, pair.other) == ("chen2017lattice", "dreyer2017oil")
    assert pair.reasons[0] == "likely a wrong identifier: the same DOI, but the titles differ and the authors differ"
    assert "? chen2017lattice ~ dreyer2017oil: likely a wrong identifier" in report.summary()
    assert report.to_json()["review"][0]["other"] == "dreyer2017oil"
    assert lib.get("dreyer2017oil").provenance == ""  # nothing folded into the existing record


def test_pmid_match_and_new_record_keys(lib_path: Path) -> None:
    lib = Library.load(lib_path)
    report = import_records(lib, [
        Record(key="", pmid="29908778", abstract="Text."),  # matches fang2018oil by PMID
        _new("Tubal flushing for subfertility"),
        _new("Tubal flushing for subfertility, a second paper"),  # same base key -> suffix a
        Record(key="", authors=[Author("Dreyer", "Kim")], year=2017, title="Oil is better",
               doi="10.1000/other"),  # base key dreyer2017oil is taken -> dreyer2017oila
    ])
    assert [m.key for m in report.merged] == ["fang2018oil"]
    assert lib.get("fang2018oil").abstract == "Text."
    assert [a.key for a in report.added] == ["mol2020tubal", "mol2020tubala", "dreyer2017oila"]
    assert lib.get("dreyer2017oila").doi == "10.1000/other"
    assert lib.get("mol2020tubal").added  # stamped by the store


def test_reimport_adds_nothing_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "lib.bib"
    for name in ("hsg.bib", "hsg.ris", "hsg.nbib", "hsg.csv", "hsg.csl.json"):
        lib = Library.load(path) if path.exists() else Library.create(path)
        result = read_file(FIXTURES / name)
        import_records(lib, result.records, source=name)
        lib.save()
        before = path.read_bytes()
        again = Library.load(path)
        report = import_records(again, read_file(FIXTURES / name).records, source=name)
        assert report.added == [], name
        assert report.abbreviated == 0, name  # nothing was filled in the library (it said "N filled")
        assert not again.dirty, name
        assert not again.save() and path.read_bytes() == before
    # the five files describe 5 distinct studies; identifiers and titles matched across formats - except the
    # MEDLINE copy of Fang 2018, whose PMCID contradicts the others' (one of them is wrong): added, for review
    keys = Library.load(path).keys()
    assert sorted(keys) == ["american2019hysterosalpingography", "anon2003proceedings", "dreyer2017oil",
                            "fang2018oil", "fang2018oila", "perisinakis2003radiogenic"]


def test_records_without_identifiers_match_on_exact_title_year_author(lib_path: Path) -> None:
    lib = Library.load(lib_path)
    import_records(lib, [_new("Tubal flushing for subfertility")])
    report = import_records(lib, [_new("Tubal  flushing for SUBFERTILITY.")])
    assert report.added == [] and report.merged[0].matched_on == "identical record"
    import_records(lib, [_new("Tubal flushing with oil-based contrast for subfertility", journal="Hum Reprod")])
    richer = _new("Tubal flushing with oil-based contrast for subfertility", abstract="We flushed tubes.",
                  journal="Human Reproduction")
    report = import_records(lib, [richer])
    assert report.added == [] and report.merged[0].matched_on == "title+year+author"
    assert report.merged[0].filled == ["abstract"]
    short = _new("Tubal flushing for subfertility", abstract="Another text.")  # a short title, nothing else
    report = import_records(lib, [short])
    assert len(report.added) == 1 and report.review[0].other == "mol2020tubal"
    existing = lib.get("mol2020tubal")
    existing.doi = "10.1000/b"
    lib.update(existing)
    different_doi = _new("Tubal flushing for subfertility", doi="10.1000/a")
    assert import_records(lib, [different_doi]).added  # same title but a different DOI: not the same paper


def test_identifiers_of_two_different_records_are_not_guessed(lib_path: Path) -> None:
    """A DOI of one record and a PMID of another, under a third title: added, both pairs listed for review."""
    lib = Library.load(lib_path)
    report = import_records(lib, [Record(key="", title="T", doi="10.1056/NEJMoa1612337", pmid="29908778")])
    [added] = report.added
    assert report.merged == [] and report.skipped == []
    assert {(r.key, r.other) for r in report.review} == {(added.key, "dreyer2017oil"), (added.key, "fang2018oil")}
    assert all(r.reasons[0].startswith("likely a wrong identifier") for r in report.review)


def test_topics_and_cited_links_numbered_after_the_entry(lib_path: Path) -> None:
    lib = Library.load(lib_path)
    report = import_records(lib, [_new("First new study"), Record(key="", pmid="29908778"),
                                  _new("Second new study")],
                            topics=["Diagnostics > HSG"], entry="hsg", link_kind="cited")
    assert [a.key for a in report.added] == ["mol2020first", "mol2020second"]
    assert lib.get("mol2020first").links == [EntryLink("hsg", "cited", 4)]  # hsg#3 was the highest
    assert lib.get("mol2020second").links == [EntryLink("hsg", "cited", 5)]
    fang = lib.get("fang2018oil")
    assert fang.links == [EntryLink("hsg", "cited", 3)]  # already cited there: kept as it was
    assert fang.topics == ["Diagnostics > HSG"] and report.merged[0].tagged
    discussed = import_records(lib, [_new("First new study")], entry="hsg", link_kind="discussed")
    assert lib.get("mol2020first").discussed_in() == [EntryLink("hsg", "discussed")]
    assert discussed.merged[0].changed
    with pytest.raises(ValueError, match="both"):
        import_records(lib, [], entry="hsg")
    with pytest.raises(ValueError, match="cited"):
        import_records(lib, [], entry="hsg", link_kind="mentioned")


def test_dry_run_changes_nothing(lib_path: Path) -> None:
    lib = Library.load(lib_path)
    report = import_records(lib, [_new("New study"), Record(key="", pmid="29908778", volume="110")],
                            topics=["T"], dry_run=True)
    assert [a.key for a in report.added] == ["mol2020new"] and report.merged[0].filled == ["volume"]
    assert not lib.dirty and "mol2020new" not in lib and lib.get("fang2018oil").volume == ""
    assert "dry run" in report.summary()


def test_an_editor_accepted_match_merges(lib_path: Path) -> None:
    """The dashboard's preview: a pair for review that an editor ticked merges into the library record."""
    lib = Library.load(lib_path)
    variant = Record(key="", title="Oil-based versus water-based contrast: a meta-analysis of trials",
                     authors=[Author("Fang", "F")], year=2018, journal="Human Reproduction")  # another journal
    preview = import_records(lib, [variant], dry_run=True)
    assert [(r.key, r.other) for r in preview.review] == [(preview.added[0].key, "fang2018oil")]
    report = import_records(lib, [variant], accept={0: "fang2018oil"})
    assert report.added == [] and [(m.key, m.matched_on) for m in report.merged] == [("fang2018oil", "editor")]
    assert report.merged[0].reasons == ["accepted by an editor"]


def test_report_json_and_summary(lib_path: Path) -> None:
    lib = Library.load(lib_path)
    report = import_records(lib, [_new("New study"), Record(key="")], source="f.ris")
    data = report.to_json()
    assert data["counts"] == {"added": 1, "merged": 0, "review": 0, "skipped": 1, "errors": 0, "warnings": 0}
    assert data["skipped"][0]["reason"] == "no title and no identifier"
    assert json.dumps(data)
    assert report.summary().splitlines()[0] == (
        "f.ris: 1 added, 0 merged (0 already present unchanged), 0 to review, 1 skipped, 0 error(s), 0 warning(s)")


# --- the command ----------------------------------------------------------------------------------------------
def _run(lib: Path, *args: str) -> int:
    return main(["--bib", str(lib), "import", *args])


def test_cli_import_then_reimport(lib_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(lib_path, str(FIXTURES / "hsg.ris"), "--topic", "Diagnostics > HSG") == 0
    out = capsys.readouterr().out
    # Dreyer matches on DOI; the library's Fang record has only a PMID and another title, so the RIS one is new
    assert "2 added, 1 merged" in out and "+ fang2018oila" in out and "saved" in out
    after = lib_path.read_bytes()
    assert _run(lib_path, str(FIXTURES / "hsg.ris"), "--topic", "Diagnostics > HSG") == 0
    assert "0 added, 3 merged (3 already present unchanged)" in capsys.readouterr().out
    assert lib_path.read_bytes() == after


def test_cli_dry_run_writes_nothing(lib_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = lib_path.read_bytes()
    assert _run(lib_path, str(FIXTURES / "hsg.bib"), "--dry-run", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    # hsg.bib's Fang 2018 has the library's PMID under its full title, where the library has a short one: a
    # likely wrong identifier until an editor says otherwise - added, for review
    assert data["written"] is False and data["files"][0]["counts"]["added"] == 4
    assert [(r["other"], r["reasons"][0]) for r in data["files"][0]["review"]] == [
        ("fang2018oil", "likely a wrong identifier: the same PMID, but the titles differ")]
    assert lib_path.read_bytes() == before


def test_cli_creates_a_missing_library(tmp_path: Path) -> None:
    target = tmp_path / "new.bib"
    assert _run(target, str(FIXTURES / "hsg.nbib")) == 0
    assert Library.load(target).keys() == ["dreyer2017oil", "fang2018oil"]


@pytest.mark.parametrize(("name", "expected"), [
    ("bad_braces.bib", "bad_braces.bib (line 8, record 2): @article{broken}: unbalanced braces"),
    ("no_er.ris", "no_er.ris (line 8, record 2): record has no 'ER  -' line"),
])
def test_cli_bad_records_block_the_import_unless_keep_going(lib_path: Path, capsys: pytest.CaptureFixture[str],
                                                            name: str, expected: str) -> None:
    before = lib_path.read_bytes()
    assert _run(lib_path, str(FIXTURES / name)) == 1
    captured = capsys.readouterr()
    assert expected in captured.out
    assert "nothing imported" in captured.err and "--keep-going" in captured.err
    assert lib_path.read_bytes() == before
    assert _run(lib_path, str(FIXTURES / name), "--keep-going") == 1  # still exit 1: problems remain
    assert expected in capsys.readouterr().out
    lib = Library.load(lib_path)
    assert len(lib) == 3  # the two good records: one merged by DOI, one new


def _binary(folder: Path) -> Path:
    (folder / "paper.pdf").write_bytes(b"%PDF-1.7\n\x00\x00\xff binary")
    return folder / "paper.pdf"


def _wrong_header(folder: Path) -> Path:
    return Path(shutil.copy(FIXTURES / "bad_header.csv", folder / "bad_header.csv"))


@pytest.mark.parametrize(("make", "expected"), [
    (_binary, "paper.pdf: binary data"),
    (_wrong_header, "bad_header.csv (line 1): no title column in the header (columns: Name, Year, Journal Name)"),
    (lambda folder: folder / "missing.ris", "missing.ris: cannot read"),
])
def test_cli_unreadable_file_stops_everything(lib_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              make, expected: str) -> None:  # type: ignore[no-untyped-def]
    before = lib_path.read_bytes()
    bad = make(tmp_path)
    assert _run(lib_path, str(FIXTURES / "hsg.ris"), str(bad)) == 1  # the good file is not imported either
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1
    assert lib_path.read_bytes() == before


def test_cli_interrupt_or_failure_writes_nothing(lib_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    before = lib_path.read_bytes()

    def interrupted(self: Library) -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(Library, "save", interrupted)
    assert _run(lib_path, str(FIXTURES / "hsg.nbib")) == 130
    assert "nothing was saved" in capsys.readouterr().err
    assert lib_path.read_bytes() == before


def test_cli_entry_link_and_usage_errors(lib_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(lib_path, str(FIXTURES / "hsg.nbib"), "--entry", "hsg") == 2
    assert "--entry SLUG and --as" in capsys.readouterr().err
    assert _run(lib_path, str(FIXTURES / "hsg.csv"), "--map", "title") == 2
    assert _run(lib_path, str(FIXTURES / "hsg.ris"), "--entry", "hsg", "--as", "discussed", "--keep-going") == 0
    lib = Library.load(lib_path)
    linked = [k for k in lib if EntryLink("hsg", "discussed") in lib.get(k).links]
    assert linked == ["dreyer2017oil", "fang2018oila", "american2019hysterosalpingography"]


PUBMED = Path(__file__).parent / "fixtures" / "pubmed"


def test_cli_truncated_pubmed_xml_offers_the_records_before_the_break(lib_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    before = lib_path.read_bytes()
    assert _run(lib_path, str(PUBMED / "truncated.xml")) == 1
    out, err = capsys.readouterr()
    assert "truncated.xml (line 6): XML is truncated or malformed here" in out and "2 record(s) read" in out
    assert "nothing imported" in err
    assert lib_path.read_bytes() == before
    assert _run(lib_path, str(PUBMED / "truncated.xml"), "--keep-going") == 1  # the problem is still reported
    lib = Library.load(lib_path)
    assert "28520519" in {lib.get(k).pmid for k in lib}  # a good record before the break, merged by DOI
    assert len(lib) == 3  # one merged into dreyer2017oil, one new; the cut third record is not invented


@pytest.mark.parametrize(("name", "expected"), [
    ("xxe.xml", "external entities (xxe) that would read files or URLs"),
    ("billion_laughs.xml", "refused without expanding anything"),
])
def test_cli_hostile_xml_is_refused_and_the_library_unchanged(lib_path: Path, capsys: pytest.CaptureFixture[str],
                                                              name: str, expected: str) -> None:
    before = lib_path.read_bytes()
    assert _run(lib_path, str(PUBMED / name), "--keep-going") == 1
    err = capsys.readouterr().err
    assert f"{name} (line 1)" in err and expected in err and "nothing imported" in err
    assert lib_path.read_bytes() == before


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_cli_reads_standard_input(lib_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from_file = tmp_path / "file.bib"
    shutil.copy(lib_path, from_file)
    assert _run(from_file, str(FIXTURES / "hsg.ris")) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", _Stdin((FIXTURES / "hsg.ris").read_bytes()))
    assert _run(lib_path, "-") == 0
    out = capsys.readouterr().out
    assert "<stdin>" in out and "2 added, 1 merged" in out
    assert lib_path.read_bytes() == from_file.read_bytes().replace(str(FIXTURES / "hsg.ris").encode(), b"<stdin>")
    before = lib_path.read_bytes()
    monkeypatch.setattr("sys.stdin", _Stdin(b"\x00\x01 not text"))
    assert _run(lib_path, "-") == 1
    assert "<stdin>: binary data" in capsys.readouterr().err
    assert _run(lib_path, "-", "-") == 2
    assert "only once" in capsys.readouterr().err
    assert lib_path.read_bytes() == before


def test_sure_copies_inside_one_file_become_one_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two copies of Dreyer 2017 in one export (no identifiers; same journal, volume, issue and pages): one
    record, the second merged into the first, with the reasons; a title+year+author match without them is not."""
    lib = Library.create(tmp_path / "new.bib")
    records = read_file(FIXTURES / "copies_in_one_file.ris").records
    report = import_records(lib, records)
    assert [a.key for a in report.added] == ["dreyer2017oil", "fang2018oil"]
    [merged] = report.merged
    assert (merged.key, merged.matched_on, merged.within_file) == ("dreyer2017oil", "title+year+author", True)
    assert "same volume" in merged.reasons and report.review == []
    assert report.to_json()["merged"][0]["within_file"] is True
    assert len(lib) == 2
    without_pages = [r.copy() for r in records]
    for record in without_pages:
        record.volume, record.pages, record.issue = "", "", ""
    plain = import_records(Library.create(tmp_path / "other.bib"), without_pages, fuzzy=False)
    assert len(plain.added) == 3 and len(plain.review) == 1  # listed for an editor, not merged
    assert _run(tmp_path / "cli.bib", str(FIXTURES / "copies_in_one_file.ris")) == 0
    assert "1 merged" in capsys.readouterr().out


def test_cli_imports_gzip_files_and_refuses_broken_ones(lib_path: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import gzip

    packed = tmp_path / "hsg.ris.gz"
    packed.write_bytes(gzip.compress((FIXTURES / "hsg.ris").read_bytes()))
    cut = tmp_path / "cut.ris.gz"
    cut.write_bytes(packed.read_bytes()[:-60])
    before = lib_path.read_bytes()
    assert _run(lib_path, str(cut)) == 1  # a short gzip stream is a problem: nothing imported by default
    assert "cut.ris.gz: the gzip file ends early" in capsys.readouterr().out
    assert lib_path.read_bytes() == before
    assert _run(lib_path, str(packed)) == 0
    assert "hsg.ris.gz: 2 added, 1 merged" in capsys.readouterr().out


def test_different_pmids_are_never_one_record(tmp_path: Path) -> None:
    """Different PMIDs are a veto: a PubMed batch is never merged with itself (nor compared pair by pair)."""
    records = list(read_file(FIXTURES / "copies_in_one_file.ris").records)  # held packed: edit Record copies
    for number, record in enumerate(records, 1):
        record.pmid = str(1000 + number)
    report = import_records(Library.create(tmp_path / "new.bib"), records)
    assert len(report.added) == 3 and report.merged == [] and report.review == []
    records[1].pmid = ""
    again = import_records(Library.create(tmp_path / "other.bib"), records)
    assert [(m.key, m.within_file) for m in again.merged] == [("dreyer2017oil", True)]


def test_cli_dry_run_of_several_files_reports_what_the_import_would_do(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The second file is matched against the first in a preview too (the first goes into memory, not to disk)."""
    files = [str(FIXTURES / "hsg.ris"), str(FIXTURES / "hsg.nbib")]
    preview_bib, real_bib = tmp_path / "preview.bib", tmp_path / "real.bib"
    assert _run(preview_bib, *files, "--dry-run", "--json") == 0
    preview = json.loads(capsys.readouterr().out)
    assert not preview_bib.exists() and preview["written"] is False
    assert _run(real_bib, *files, "--json") == 0
    real = json.loads(capsys.readouterr().out)
    assert real["files"][1]["counts"]["merged"] > 0  # the MEDLINE file holds the RIS file's studies
    assert [f["counts"] for f in preview["files"]] == [f["counts"] for f in real["files"]]
    assert [f["dry_run"] for f in preview["files"]] == [True, True]


# --- warnings are not errors ----------------------------------------------------------------------------------
ODD_IDS = b"""TY  - JOUR
AU  - Smith, John
TI  - Tubal flushing with oil-based contrast in a cohort of infertile women
JO  - Human Reproduction
PY  - 2024
DO  - doi.org/humrep/not-a-doi
ER  -
TY  - JOUR
AU  - Jones, Ann
TI  - Hysterosalpingo-foam sonography in infertile women: a cohort study
JO  - Fertility and Sterility
PY  - 2023
ER  -
"""


def test_cli_odd_identifiers_are_warnings_with_their_place_and_kept(lib_path: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "odd.ris"
    source.write_bytes(ODD_IDS)
    assert _run(lib_path, str(source)) == 0  # imported with the default options
    out = capsys.readouterr().out
    assert "2 added" in out and "0 error(s), 1 warning(s)" in out
    assert f"warning: {source} (line 1, record 1): invalid DOI 'doi.org/humrep/not-a-doi'" in out
    lib = Library.load(lib_path)
    assert {lib.get(k).doi for k in lib} >= {"doi.org/humrep/not-a-doi"}  # kept as given
    assert _run(lib_path, str(source), "--json") == 0
    problems = json.loads(capsys.readouterr().out)["files"][0]["problems"]
    assert [p["severity"] for p in problems] == ["warning"]


def test_cli_pubmed_version_records_import_with_the_default_options(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Records from a real PubMed baseline file (pubmed21n1298): two Wellcome Open Research articles, each in
    several versions under one PMID (Version="2" ... "4", versioned DOIs, PMCID "PMC6134338.4")."""
    target = tmp_path / "lib.bib"
    assert _run(target, str(PUBMED / "versions.xml.gz")) == 0
    out = capsys.readouterr().out
    assert "2 added, 4 merged" in out and "0 error(s), 0 warning(s)" in out
    assert "the DOIs differ only in a version suffix" in out
    lib = Library.load(target)
    assert sorted(lib.get(k).pmid for k in lib) == ["30271887", "33728380"]
    before = target.read_bytes()
    assert _run(target, str(PUBMED / "versions.xml.gz")) == 0  # and a re-import changes nothing
    assert "0 added" in capsys.readouterr().out and target.read_bytes() == before


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex", "ris", "csl-json", "csv"])
def test_reimporting_a_file_reflib_exported_adds_nothing_and_changes_nothing(tmp_path: Path, fmt: str,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled library (36 real studies) exported in each format and imported back into it."""
    from .conftest import ROOT

    bib = tmp_path / "references.bib"
    shutil.copyfile(ROOT / "references.bib", bib)
    exported = tmp_path / f"export.{fmt}"
    assert main(["--bib", str(bib), "export", "-f", fmt, "-o", str(exported)]) == 0
    before = bib.read_bytes()
    assert _run(bib, str(exported), "--json") == 0
    data = json.loads(capsys.readouterr().out)["files"][0]
    assert data["counts"]["added"] == 0 and data["counts"]["review"] == 0, data["added"]
    assert not [m for m in data["merged"] if m["changed"]]
    assert bib.read_bytes() == before


def test_rows_without_a_title_never_block_the_rest_of_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CSV row with only a PMID is a record (``enrich`` fills its title); a row with nothing to know it by is
    skipped with a warning; neither blocks the file (a title-less row refused the whole import before). A RIS
    record without TI takes its short title (ST)."""
    lib = tmp_path / "references.bib"
    lib.write_text("", encoding="utf-8")
    rows = tmp_path / "export.csv"
    rows.write_text("title,authors,year,pmid,journal\n"
                    "Tubal flushing with oil-based contrast,Dreyer K,2017,28520519,N Engl J Med\n"
                    ",,,10434822,\n"
                    ",Smith J,2001,,Fertil Steril\n", encoding="utf-8")
    assert main(["--bib", str(lib), "import", str(rows)]) == 0
    out, err = capsys.readouterr()
    assert "2 added" in out and "warning" in (out + err) and "line 4" in (out + err)
    pmids = {r.pmid for r in Library.load(lib).records()}
    assert pmids == {"28520519", "10434822"}
    ris = tmp_path / "short.ris"
    ris.write_text("TY  - JOUR\nAU  - Cole, A\nST  - Saline sonography of the tubes\nJO  - Radiology\nPY  - 1999\n"
                   "ER  - \n", encoding="utf-8")
    assert main(["--bib", str(lib), "import", str(ris)]) == 0
    assert "Saline sonography of the tubes" in {r.title for r in Library.load(lib).records()}


def test_a_renamed_bibtex_key_is_kept_as_an_alias(tmp_path: Path) -> None:
    """The library's keys follow one rule (authorYEARword); a BibTeX file's own key is kept in ``ids`` so that
    ``\\cite{oldkey}`` still resolves with biblatex (it was dropped without a trace); a RIS record's numeric ID is
    no citation key."""
    lib = tmp_path / "references.bib"
    lib.write_text("", encoding="utf-8")
    source = tmp_path / "mine.bib"
    source.write_text("@article{Dreyer:NEJM:2017,\n  author = {Dreyer, Kim},\n  title = {Oil-based or water-based "
                      "contrast for hysterosalpingography},\n  journal = {N Engl J Med},\n  year = {2017}\n}\n",
                      encoding="utf-8")
    assert main(["--bib", str(lib), "import", str(source)]) == 0
    (record,) = Library.load(lib).records()
    assert record.key == "dreyer2017oil" and record.extra["ids"] == "Dreyer:NEJM:2017"
    assert main(["--bib", str(lib), "import", str(source)]) == 0  # a re-import changes nothing
    assert Library.load(lib).get("dreyer2017oil").extra["ids"] == "Dreyer:NEJM:2017"
    ris = tmp_path / "x.ris"
    ris.write_text("TY  - JOUR\nID  - 4711\nAU  - Cole, A\nTI  - Saline sonography\nPY  - 1999\nER  - \n",
                   encoding="utf-8")
    assert main(["--bib", str(lib), "import", str(ris)]) == 0
    assert "ids" not in Library.load(lib).get("cole1999saline").extra
