"""Regressions found by importing real exports nobody had tuned on (the audit of Dec 2026; see each test).

The inputs are short excerpts written for these tests in the shape of the real files named in each docstring.
"""

from __future__ import annotations

from ingest.readers.csv import read_csv
from ingest.readers.ris import read_wos


def test_wos_full_names_written_family_first_without_comma() -> None:
    """Web of Science writes some full names (AF) family first without a comma ("Wang Chen-Yang"), next to the
    abbreviated AU line "Wang, CY" (mjwestgate/revtools examples/restoration_WoS.ciw, UWNETLAB/metaknowledge
    docs/examples/savedrecs.txt): the family name is the AU line's, not the last word of AF."""
    text = (
        "FN Clarivate Analytics Web of Science\nVR 1.0\n"
        "PT J\n"
        "AU Wang, CY\n   Yang, W\n   Smith, J\n   Zhang, ZW\n"
        "AF Wang Chen-Yang\n   Yang Wen\n   John Smith\n   Zhang Zhi-Wei\n"
        "TI Application of Inorganic Chemistry in Restoration\n"
        "SO JOURNAL OF TESTS\nPY 2018\nER\n\nEF\n"
    )
    result = read_wos(text.encode(), "savedrecs.txt")
    (record,) = result.records
    assert [(a.family, a.given) for a in record.authors] == [
        ("Wang", "Chen-Yang"), ("Yang", "Wen"), ("Smith", "John"), ("Zhang", "Zhi-Wei")]


def test_csv_rows_with_a_trailing_empty_field_are_read() -> None:
    """PubMed's old "Send to > CSV" ends every row with a comma (one empty field more than the header:
    p1m-ortho/qs-global-ortho-search-queries legacy/pubmed_result_*.csv); every row was refused."""
    text = (
        "Title,URL,Description,Details,ShortDetails,Resource,Type,Identifiers,Db,EntrezUID,Properties\n"
        '"Allergen components in diagnosing childhood hazelnut allergy.","/pubmed/31301691",'
        '"Nilsson C, Berthold M.","Pediatr Allergy Immunol. 2019 Jul 13.","Pediatr Allergy Immunol.  2019",'
        '"PubMed","citation","PMID:31301691","pubmed","31301691","create date:2019/07/14",\n'
        '"A row with a real extra value","/pubmed/1","A B.","x","y","PubMed","citation","PMID:1","pubmed","1",'
        '"p","surplus"\n'
    )
    result = read_csv(text.encode(), "pubmed_result.csv")
    assert [r.title for r in result.records] == ["Allergen components in diagnosing childhood hazelnut allergy"]
    assert [(p.line, p.record) for p in result.problems] == [(3, 2)]  # a non-empty surplus field is still refused


def test_reimport_of_a_bibtex_export_of_biblatex_reports_adds_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A biblatex ``@report`` exported to BibTeX is ``@techreport``; re-importing the export into the library it
    came from added every report again as a new record, listed for review (ropensci/RefManageR inst/Bib/RJC.bib:
    79 of 494 records)."""
    from ingest.importer import import_records
    from ingest.readers import read_data
    from library import Library
    from library.export.bibtex import to_bibtex

    source = (b"@Report{sampson2013controlling,\n  title = {Controlling the local false discovery rate in the"
              b" adaptive Lasso},\n  author = {J N Sampson and N Chatterjee and R J Carroll and S M{\\\"u}ller},\n"
              b"  year = {2013},\n  institution = {Biostatistics},\n  type = {techreport},\n}\n")
    path = tmp_path / "lib.bib"
    path.write_text("")
    lib = Library.load(path)
    import_records(lib, read_data(source, "RJC.bib").records, source="RJC.bib")
    exported = to_bibtex(list(lib.records()))
    assert "@techreport{" in exported
    report = import_records(lib, read_data(exported.encode(), "export.bib").records, source="export.bib")
    assert (len(report.added), len(report.review), len(lib)) == (0, 0, 1)


def test_reimport_of_a_bibtex_export_of_web_pages_and_datasets_adds_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """BibTeX has no @online or @dataset: the export writes @misc, and re-importing it added those records again
    (greenelab/meta-review's CSL-JSON library: 23 of 98 records came back as new)."""
    import json

    from ingest.importer import import_records
    from ingest.readers import read_data
    from library import Library
    from library.export.bibtex import to_bibtex

    items = [{"id": "web1", "type": "webpage", "title": "Sci-Hub download statistics", "URL": "https://example.org/s",
              "author": [{"family": "Himmelstein", "given": "Daniel"}], "issued": {"date-parts": [[2017]]}},
             {"id": "data1", "type": "dataset", "title": "Open citations of the deep review",
              "author": [{"family": "Greene", "given": "Casey"}], "issued": {"date-parts": [[2018]]},
              "DOI": "10.5281/zenodo.1234"}]
    path = tmp_path / "lib.bib"
    path.write_text("")
    lib = Library.load(path)
    import_records(lib, read_data(json.dumps(items).encode(), "refs.json").records, source="refs.json")
    exported = to_bibtex(list(lib.records()))
    assert exported.count("@misc{") == 2
    report = import_records(lib, read_data(exported.encode(), "export.bib").records, source="export.bib")
    assert (len(report.added), len(report.review), len(lib)) == (0, 0, 2)
