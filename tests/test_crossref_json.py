"""Crossref JSON reader: own fixtures and habanero's recorded Crossref responses."""

from __future__ import annotations

import json

import pytest

from ingest.readers import detect_format
from ingest.readers.crossref_json import crossref_record, jats_to_text, read_crossref_json
from library.model import Author

from .conftest import CORPUS, FIXTURES, needs_shared

CROSSREF = FIXTURES / "crossref"
HABANERO = CORPUS / "pypi" / "habanero-2.9.2" / "decoded"


def read(path):
    return read_crossref_json(path.read_bytes(), path.name)


def test_single_work():
    result = read(CROSSREF / "nejm_work.json")
    assert result.problems == [] and result.format == "crossref-json"
    (record,) = result.records
    assert record.key == ""
    assert record.entry_type == "article"
    assert record.title == "Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women"
    assert record.authors[0] == Author(family="Dreyer", given="Kim")
    assert record.authors[-1] == Author(family="Mol", given="Ben W. J.")
    assert (record.journal, record.journal_abbrev) == ("New England Journal of Medicine", "N Engl J Med")
    assert (record.year, record.month, record.volume, record.issue, record.pages) == (
        2017, "May", "376", "21", "2043--2052")  # published-print wins over published-online
    assert record.doi == "10.1056/NEJMoa1612337" and record.issn == "0028-4793, 1533-4406"
    assert record.url == ""  # only the doi.org link of its own DOI


def test_work_list_types_abstracts_and_retractions():
    result = read(CROSSREF / "fixture_works.json")
    records = {r.doi: r for r in result.records}
    assert len(result.records) == 4
    assert [str(p) for p in result.problems] == [
        "fixture_works.json (record 5): work has no title and no DOI; skipped",
        "fixture_works.json (record 6): item is a str, not a work; skipped"]
    retracted = records["10.9999/fixture.retracted"]
    assert retracted.title == "A fictional retracted study of tubal flushing: a test record"
    assert retracted.retracted and retracted.note == "Retraction in: doi:10.9999/fixture.notice"
    assert retracted.abstract == "Background: Fictional background with italics and x^2.\n\nResults: Fictional results: CO2 rose."
    assert retracted.authors == [Author("Fixture", "Anna", orcid="0000-0002-1825-0097"),
                                 Author(literal="Fixture Study Group")]
    assert (retracted.pages, retracted.year, retracted.month) == ("e0193972", 2019, "March")
    notice = records["10.9999/fixture.notice"]
    assert notice.pubtypes == ["Retraction of Publication"] and not notice.retracted
    assert notice.note == "Retraction of: doi:10.9999/fixture.retracted"
    proc = records["10.9999/fixture.proc"]
    assert (proc.entry_type, proc.booktitle, proc.year, proc.pages) == (
        "inproceedings", "Proceedings of the Fixture Congress", None, "12--19")
    assert proc.url == "https://example.org/fixture/proc" and proc.authors[0].suffix == "Jr."
    assert records["10.9999/fixture.preprint"].entry_type == "unpublished"


def test_bare_work_and_list_of_works():
    work = json.loads((CROSSREF / "nejm_work.json").read_text())["message"]
    assert read_crossref_json(json.dumps(work).encode(), "bare").records[0].volume == "376"
    assert len(read_crossref_json(json.dumps([work, work]).encode(), "list").records) == 2


@pytest.mark.parametrize(("data", "needle"), [
    (b"Resource not found.", "not valid JSON"),
    (b'{"status":"failed","message-type":"validation-failure","message":[{"type":"x","message":"bad"}]}',
     "status 'failed'"),
    (b'{"status":"ok","message-type":"member","message":{}}', "'member' response, not works"),
    (b'{"status":"ok","message-type":"work-list","message":{"items":[', "not valid JSON"),
    (b"\xff\xfe\x00", "not UTF-8"),
])
def test_unusable_documents_are_fatal_problems(data, needle):
    result = read_crossref_json(data, "answer")
    assert result.records == []
    assert result.problems[0].fatal and needle in result.problems[0].message


def test_jats_to_text():
    assert jats_to_text("<jats:p>One &amp; two</jats:p><jats:p>Three</jats:p>") == "One & two\n\nThree"
    assert jats_to_text("plain text") == "plain text"
    assert jats_to_text("<jats:p>broken &nbsp; entity</jats:p>") == "<jats:p>broken &nbsp; entity</jats:p>"
    record = crossref_record({"title": ["T"], "abstract": "<jats:p>broken&nbsp;entity</jats:p>"})
    assert record.abstract == "broken entity"  # the normalizer strips the tags and decodes the entity


def test_jats_abstract_cannot_declare_entities():
    markup = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><jats:p>&e;</jats:p>'
    assert "root:" not in jats_to_text(markup)


def test_detected_by_the_file_readers():
    assert detect_format((CROSSREF / "fixture_works.json").read_bytes(), "x.json") == "crossref-json"


@needs_shared
def test_habanero_recorded_responses():
    one = read(HABANERO / "test_works_with_one_id.0.json").records[0]
    assert one.doi == "10.1371/journal.pone.0033693" and one.pages == "e33693"
    # PLOS ONE's academic editor: not an editor of the journal the article is in
    assert one.editors == [] and one.extra["academic_editor"] == "Borlongan, Cesario V."
    assert one.title.startswith("Methylphenidate Exposure Induces Dopamine Neuron Loss")
    assert not one.retracted  # its update is a correction, not a retraction
    cursor = read(HABANERO / "test_cursor_max.0.json")
    assert len(cursor.records) == 20 and cursor.problems == []
    assert cursor.records[0].entry_type == "incollection" and cursor.records[0].booktitle
    query = read(HABANERO / "test_works_query.0.json")
    assert len(query.records) == 2 and query.records[0].abstract.startswith("Communication is perhaps")
    csl = read(HABANERO / "test_content_negotiation_citeproc_json.1.json").records[0]
    assert csl.abstract.startswith("The train of thought") and "<" not in csl.abstract
    # content negotiation's name for the short title (an abbreviation equal to the title is dropped)
    assert csl.journal == "Science" and csl.journal_abbrev == ""
    negotiated = crossref_record({"type": "journal-article", "container-title": "Fertility and Sterility",
                                  "container-title-short": "Fertil Steril"})
    assert negotiated.journal_abbrev == "Fertil Steril"
    bad = read(HABANERO / "test_works_bad_id_warn.0.txt")
    assert bad.problems[0].fatal and "Resource not found." in bad.problems[0].message


def test_a_journal_articles_academic_editor_is_not_its_editor():
    """PLOS ONE names the academic editor who handled the paper as "editor": stored as `editor`, AMA and Vancouver
    printed "Editorson E, ed." in the article's citation. A chapter's editor stays the book's editor."""
    from library.export import cite_this

    work = {"type": "journal-article", "title": ["A trial"], "DOI": "10.1371/journal.pone.0000001",
            "author": [{"given": "Jane", "family": "Smith"}], "container-title": ["PLoS ONE"],
            "editor": [{"given": "Ed", "family": "Editorson", "sequence": "first", "affiliation": []}],
            "issued": {"date-parts": [[2020]]}}
    article = crossref_record(work)
    assert article.editors == [] and article.extra["academic_editor"] == "Editorson, Ed"
    assert all("Editorson" not in text for style, text in cite_this(article, "text").items() if style != "ris")
    chapter = crossref_record({**work, "type": "book-chapter"})
    assert [e.family for e in chapter.editors] == ["Editorson"] and "academic_editor" not in chapter.extra
