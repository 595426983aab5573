"""merge_cluster keeps every field and the keeper's key; undo_merge restores the copies exactly before a save."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from library import Library
from library.dedupe import MergeError, absorb, choose_keeper, merge_cluster, merge_records, undo_merge
from library.model import Author, EntryLink, Record, Synopsis

from .conftest import FIXTURES

LIBRARY = FIXTURES / "dedupe" / "library.bib"


@pytest.fixture
def lib_path(tmp_path: Path) -> Path:
    target = tmp_path / "references.bib"
    shutil.copyfile(LIBRARY, target)
    return target


def test_keeper_rule_links_then_richness_then_age_then_order():
    plain = Record(key="plain", title="T", year=2017)
    rich = Record(key="rich", title="T", year=2017, doi="10.1/x", pmid="1", abstract="A", journal="J")
    linked = Record(key="linked", title="T", links=[EntryLink("hsg", "cited", 3)])
    assert choose_keeper([plain, rich, linked]).key == "linked"
    assert choose_keeper([plain, rich]).key == "rich"
    old = Record(key="old", title="T", added="2020-01-01")
    new = Record(key="new", title="T", added="2024-01-01")
    assert choose_keeper([new, old]).key == "old"
    assert choose_keeper([Record(key="first", title="T"), Record(key="second", title="T")]).key == "first"


def test_merge_records_fills_unions_and_keeps_conflicts_in_provenance():
    keeper = Record(key="k", title="Oil-based contrast", journal="New England Journal of Medicine", year=2017,
                    volume="376", doi="10.1056/NEJMoa1612337",
                    authors=[Author("Dreyer", "Kim")], topics=["Diagnostics > HSG"], keywords=["HSG"],
                    links=[EntryLink("hsg", "cited", 3)], notes="Key RCT.", provenance="title: Old (from x)")
    other = Record(key="o", title="OIL-BASED CONTRAST", journal="N Engl J Med", year=2017, pages="2043--2052",
                   volume="377", doi="https://doi.org/10.1056/nejmoa1612337",
                   authors=[Author("Dreyer", "K."), Author("Mol", "B.")], topics=["Infertility > Tubal"],
                   keywords=["hsg", "oil"], links=[EntryLink("hsg", "cited", 5), EntryLink("oil", "discussed")],
                   notes="Seen at ESHRE.", retracted=True, synopsis=Synopsis(tldr="Oil wins."),
                   extra={"eprint": "123"})
    outcome = merge_records(keeper, [other])
    merged, conflicts, filled = outcome.record, outcome.conflicts, outcome.filled_from
    assert merged.key == "k" and merged.title == "Oil-based contrast"  # case-only difference: no conflict
    assert merged.pages == "2043--2052" and "pages (from o)" in filled
    assert merged.synopsis.tldr == "Oil wins." and merged.extra["eprint"] == "123"
    assert merged.authors == keeper.authors  # authors are never unioned
    assert merged.topics == ["Diagnostics > HSG", "Infertility > Tubal"]
    assert merged.keywords == ["HSG", "oil"]
    # the copy's other number of the same entry is kept (the entry's text has it; `reflib check` reports the two)
    assert merged.links == [EntryLink("hsg", "cited", 3), EntryLink("hsg", "cited", 5), EntryLink("oil", "discussed")]
    assert merged.notes == "Key RCT.\n\nSeen at ESHRE."
    assert merged.retracted is True
    assert merged.extra["ids"] == "o"
    assert merged.journal_abbrev == "N Engl J Med" and "journal_abbrev (from o)" in filled  # the other form
    assert sorted(conflicts) == ["authors: Dreyer, K. and Mol, B. (from o)", "cited_in: hsg#5 (from o)",
                                 "volume: 377 (from o)"]  # the DOI differs only in its format: no conflict
    assert merged.provenance.startswith("title: Old (from x); ")
    assert "volume: 377 (from o)" in merged.provenance and "merged: o (" in merged.provenance
    assert keeper.pages == "" and other.key == "o"  # inputs untouched


def test_merge_cluster_on_a_library(lib_path):
    lib = Library.load(lib_path)
    result = merge_cluster(lib, ["dreyer2017crossref", "dreyer2017oil"])
    assert result.keeper == "dreyer2017oil"  # linked to an encyclopedia entry
    assert result.removed == ("dreyer2017crossref",)
    assert "dreyer2017crossref" not in lib
    merged = lib.get("dreyer2017oil")
    assert merged.abstract.startswith("BACKGROUND") and merged.cited_in() == [EntryLink("hysterosalpingography",
                                                                                        "cited", 3)]
    assert merged.topics == ["Diagnostics > HSG > Contrast media", "Infertility > Tubal factor > Tubal flushing"]
    assert merged.notes == "Key RCT (H2Oil)." and merged.added == "2024-01-10"
    assert merged.journal_abbrev == "N Engl J Med"
    assert result.conflicts == ()  # "2043-52" and "https://doi.org/10.1056/nejmoa1612337" are format variants
    lib.save()
    reloaded = Library.load(lib_path)
    assert "dreyer2017crossref" not in reloaded and reloaded.get("dreyer2017oil").extra["ids"] == "dreyer2017crossref"


def test_undo_restores_the_file_byte_for_byte(lib_path):
    original = lib_path.read_bytes()
    lib = Library.load(lib_path)
    before = {k: lib.get(k) for k in ("vanwelie2019foam", "vanwelie2019ris")}
    result = merge_cluster(lib, ["vanwelie2019foam", "vanwelie2019ris"])
    assert "vanwelie2019ris" not in lib
    undo_merge(lib, result)
    assert {k: lib.get(k) for k in before} == before
    lib.save()
    assert lib_path.read_bytes() == original


def test_undo_of_records_added_in_this_session(lib_path):
    lib = Library.load(lib_path)
    lib.add(Record(key="new1", title="Foam sonography for tubal patency testing", year=2022))
    lib.add(Record(key="new2", title="Foam sonography for tubal patency testing", year=2022, pages="1--9"))
    before = [lib.get("new1"), lib.get("new2")]
    result = merge_cluster(lib, ["new1", "new2"])
    undo_merge(lib, result)
    assert [lib.get("new1"), lib.get("new2")] == before


def test_undo_is_refused_after_save_or_edit(lib_path):
    lib = Library.load(lib_path)
    result = merge_cluster(lib, ["vanwelie2019foam", "vanwelie2019ris"])
    record = lib.get(result.keeper)
    record.notes = "edited after the merge"
    lib.update(record)
    with pytest.raises(MergeError, match="edited after the merge"):
        undo_merge(lib, result)
    lib.save()
    with pytest.raises(MergeError, match="saved since"):
        undo_merge(lib, result)


def test_merge_needs_two_known_keys(lib_path):
    lib = Library.load(lib_path)
    with pytest.raises(MergeError):
        merge_cluster(lib, ["dreyer2017oil", "dreyer2017oil"])
    with pytest.raises(KeyError):
        merge_cluster(lib, ["dreyer2017oil", "nosuchkey"])
    assert not lib.dirty


def test_absorb_an_incoming_record_keeps_the_existing_key(lib_path):
    lib = Library.load(lib_path)
    incoming = Record(key="", title="Treatment effect of oil-based contrast", pmid="31769472", year=2019)
    result = absorb(lib, "vanwelie2019foam", incoming)
    assert result.keeper == "vanwelie2019foam" and result.removed == () and result.absorbed == (incoming,)
    assert lib.get("vanwelie2019foam").pmid == "31769472"
    assert "ids" not in lib.get("vanwelie2019foam").extra  # an incoming record without a key leaves no alias
    undo_merge(lib, result)
    assert lib.get("vanwelie2019foam").pmid == ""


def test_merge_unions_relations_and_repoints_links_to_removed_copies(lib_path):
    from library.model import Relation

    keeper = Record(key="k", title="T", relations=[Relation("comment-on", "x"), Relation("reply-to", "o")])
    other = Record(key="o", title="T", relations=[Relation("comment-on", "x"), Relation("erratum-of", "y")])
    merged = merge_records(keeper, [other]).record
    assert merged.relations == [Relation("comment-on", "x"), Relation("erratum-of", "y")]  # union, no self-link
    lib = Library.load(lib_path)
    erratum = lib.get("dreyer2017erratum")
    erratum.relations = [Relation("erratum-of", "dreyer2017crossref")]
    lib.update(erratum)
    lib.save()
    lib = Library.load(lib_path)
    saved = lib_path.read_bytes()
    result = merge_cluster(lib, ["dreyer2017crossref", "dreyer2017oil"])
    assert lib.get("dreyer2017erratum").relations == [Relation("erratum-of", "dreyer2017oil")]
    assert [r.key for r in result.repointed] == ["dreyer2017erratum"]
    undo_merge(lib, result)  # the re-pointed record is restored too
    assert lib.get("dreyer2017erratum").relations == [Relation("erratum-of", "dreyer2017crossref")]
    lib.save()
    assert lib_path.read_bytes() == saved
