"""Enrichment that never destroys: the pure merge rules, and ``reflib enrich`` against local servers."""

from __future__ import annotations

import json

import pytest

from ingest.enrich import enrich_record
from library import Library
from library.cli import main
from library.model import Author, Record

from .conftest import FIXTURES
from .httpserver import FakeCrossref, FakeEutils, Reply, split_articles


def fetched() -> Record:
    return Record(key="", title="Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women",
                  authors=[Author("Dreyer", "Kim"), Author("Mol", "Ben")], year=2017,
                  doi="10.1056/NEJMoa1612337", pmid="28520519", abstract="BACKGROUND: text", mesh=["*Hysterosalpingography"],
                  pubtypes=["Journal Article", "Randomized Controlled Trial"], journal_abbrev="N Engl J Med")


def mine(**values) -> Record:
    base = Record(key="dreyer2017oil", title="Oil-Based or Water-Based Contrast for Hysterosalpingography",
                  authors=[Author("Dreyer", "K.")],
                  year=2017, doi="10.1056/nejmoa1612337", pubtypes=["Journal Article"])
    for name, value in values.items():
        setattr(base, name, value)
    return base


def test_fills_empty_fields_and_merges_lists_without_replacing():
    record, change = enrich_record(mine(), fetched(), source="PubMed")
    assert record.pmid == "28520519" and record.abstract == "BACKGROUND: text" and record.mesh == ["*Hysterosalpingography"]
    assert record.pubtypes == ["Journal Article", "Randomized Controlled Trial"]
    assert record.title == mine().title and record.authors == [Author("Dreyer", "K.")]
    assert sorted(change.filled) == ["abstract", "journal_abbrev", "mesh", "pmid", "pubtypes"]
    assert change.differing == ["authors", "title"] and change.replaced == [] and change.changed
    assert record.provenance == ""  # differences are reported, not noted, without --force


def test_force_replaces_and_keeps_the_old_value_in_provenance():
    record, change = enrich_record(mine(), fetched(), source="PubMed", force=True, today="2026-05-01")
    assert record.title == fetched().title and record.authors == fetched().authors
    assert change.replaced == ["authors", "title"]
    assert "title: Oil-Based or Water-Based Contrast for Hysterosalpingography (replaced by PubMed, 2026-05-01)" \
        in record.provenance
    assert "authors: Dreyer, K. (replaced by PubMed, 2026-05-01)" in record.provenance


def test_protected_fields_and_records():
    record, change = enrich_record(mine(protect=["title", "abstract"]), fetched(), source="PubMed", force=True)
    assert record.title == mine().title and record.abstract == ""
    assert "abstract" not in change.filled and "title" in change.differing
    whole, change = enrich_record(mine(protect=["*"]), fetched(), source="PubMed", force=True)
    assert whole == mine(protect=["*"]) and not change.changed and "protected" in change.note


def test_retraction_flag_and_protected_retraction():
    retracted = fetched()
    retracted.retracted = True
    record, change = enrich_record(mine(), retracted, source="PubMed")
    assert record.retracted and change.retracted
    kept, change = enrich_record(mine(protect=["*"]), retracted, source="PubMed")
    assert not kept.retracted and "lists it as retracted, but the record is protected" in change.note
    never_cleared, _ = enrich_record(mine(retracted=True), fetched(), source="PubMed")
    assert never_cleared.retracted


def test_contradicting_identifier_is_not_used():
    other = fetched()
    other.doi = "10.1000/other"
    record, change = enrich_record(mine(), other, source="Crossref")
    assert record == mine() and not change.changed and change.note == "Crossref record not used: different DOIs"


def test_a_source_record_of_another_publication_is_not_used_even_when_retracted():
    """A wrong PMID in the library finds another paper: the same decision as import says so, nothing is filled
    and the other paper's retraction is reported, not flagged on this record."""
    other = Record(key="", title="Laparoscopic chromopertubation in 200 women", authors=[Author("Chen", "W")],
                   year=2012, pmid="28520519", abstract="Another study.", retracted=True)
    record, change = enrich_record(mine(pmid="28520519"), other, source="PubMed")
    assert record == mine(pmid="28520519") and not change.changed
    assert change.note.startswith("PubMed record not used: likely a wrong identifier: the same PMID, but the "
                                  "titles differ and the authors differ")
    assert "lists the study as retracted" in change.note


LIBRARY = """@article{gibb2004,
  title = {Fixture record with a collective author and a MedlineDate},
  year = {2004},
  doi = {10.1093/HUMREP/deh418}
}

@article{fixture1998,
  author = {Fixture, A.},
  title = {Fictional retracted trial of tubal flushing (test record},
  pmid = {99000001}
}

@article{dreyer2017,
  author = {Dreyer, Kim},
  title = {Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women},
  pmid = {28520519},
  protect = {*}
}

@article{crossrefonly,
  title = {A fictional retracted study of tubal flushing},
  doi = {10.9999/fixture.retracted}
}

@article{nowhere,
  title = {Not known anywhere},
  doi = {10.9999/unknown}
}
"""


@pytest.fixture
def services(point_services):
    pool = split_articles((FIXTURES / "pubmed" / "hsg.xml").read_bytes())
    retracted = json.dumps({"status": "ok", "message-type": "work", "message": json.loads(
        (FIXTURES / "crossref" / "fixture_works.json").read_text())["message"]["items"][0]}).encode()
    server = point_services()
    FakeEutils(pool).install(server)
    FakeCrossref({"10.9999/fixture.retracted": retracted}).install(server)
    return server


def test_enrich_command(services, tmp_bib, capsys):
    bib = tmp_bib(LIBRARY)
    assert main(["--bib", str(bib), "enrich"]) == 0
    out = capsys.readouterr().out
    lib = Library.load(bib)
    gibb = lib.get("gibb2004")
    assert gibb.pmid == "15271870" and gibb.doi == "10.1093/HUMREP/deh418"  # PMID from the DOI; DOI kept as given
    assert gibb.authors == [Author(literal="ESHRE Capri Workshop Group")] and gibb.pages == "2045--2049"
    fixture = lib.get("fixture1998")
    assert fixture.retracted and fixture.title == "Fictional retracted trial of tubal flushing (test record"
    assert "fixture1998 [PubMed]" in out and "RETRACTED - flagged" in out and "--force replaces" in out
    assert lib.get("dreyer2017").mesh == [] and "protected (protect = *)" in out
    crossref_only = lib.get("crossrefonly")
    assert crossref_only.retracted and crossref_only.abstract.startswith("Background:")
    assert "3 record(s) enriched, 1 not found" in out
    esearch = services.calls("/esearch.fcgi")
    assert len(esearch) == 1 and '"10.1093/HUMREP/deh418"[doi]' in esearch[0].params["term"]


def test_enrich_dry_run_force_and_unknown_key(services, tmp_bib, capsys):
    bib = tmp_bib(LIBRARY)
    before = bib.read_bytes()
    assert main(["--bib", str(bib), "enrich", "fixture1998", "--dry-run", "--json"]) == 0
    (change,) = json.loads(capsys.readouterr().out)
    assert change["retracted"] and "title" in change["differing"] and bib.read_bytes() == before
    assert main(["--bib", str(bib), "enrich", "fixture1998", "--force", "--no-crossref"]) == 0
    forced = Library.load(bib).get("fixture1998")
    assert forced.title == "Fictional retracted trial of tubal flushing (test record, CO2 and 10-3)"
    assert "title: Fictional retracted trial of tubal flushing (test record (replaced by PubMed" in forced.provenance
    assert main(["--bib", str(bib), "enrich", "nokey"]) == 1
    assert "no record with key 'nokey'" in capsys.readouterr().err


def test_enrich_failure_leaves_the_library_unchanged(services, tmp_bib, capsys):
    bib = tmp_bib(LIBRARY)
    before = bib.read_bytes()
    services.script("/efetch.fcgi", *[Reply(500, b"down")] * 2)
    assert main(["--bib", str(bib), "enrich"]) == 1
    assert "HTTP 500" in capsys.readouterr().err and bib.read_bytes() == before
