"""Import runs the dedupe matcher: a variant copy of a study already in the library merges instead of adding."""

from __future__ import annotations

from ingest.importer import import_records
from library import Library
from library.model import Author, Record


def _variant() -> Record:
    return Record(
        key="", title="OIL-BASED VERSUS WATER-BASED CONTRAST FOR HYSTEROSALPINGOGRAPHY IN INFERTILE WOMEN: "
                      "SYSTEMATIC REVIEW AND META-ANALYSIS OF RANDOMISED CONTROLLED TRIALS.",
        authors=[Author("Fang", "F"), Author("Bai", "Y"), Author("Zhang", "Y"), Author("Faramand", "A")],
        journal="Fertil Steril", year=2018, volume="110", issue="1", pages="153-160.e3",
        abstract="OBJECTIVE: To compare oil-based and water-based contrast.")


def test_fuzzy_duplicate_merges_into_the_existing_record(references_copy):
    lib = Library.load(references_copy)
    before = len(lib)
    report = import_records(lib, [_variant()], source="variant.ris")
    assert not report.added and [m.key for m in report.merged] == ["fang2018oil"]
    assert len(lib) == before
    assert lib.get("fang2018oil").abstract.startswith("OBJECTIVE")  # an empty field was filled
    assert lib.get("fang2018oil").title.startswith("Oil-based versus")  # nothing overwritten


def test_fuzzy_matching_can_be_switched_off(references_copy):
    lib = Library.load(references_copy)
    report = import_records(lib, [_variant()], source="variant.ris", fuzzy=False)
    assert len(report.added) == 1 and not report.merged


def test_different_study_with_similar_title_is_added(references_copy):
    lib = Library.load(references_copy)
    other = _variant()
    other.title = "Oil-based versus water-based contrast for hysterosalpingography: a protocol for a systematic review"
    other.year = 2016
    other.volume, other.pages = "", ""
    report = import_records(lib, [other], source="protocol.ris")
    assert len(report.added) == 1 and not report.merged


def test_a_reimport_of_the_librarys_own_records_compares_only_what_is_new(references_copy, monkeypatch):
    """Records identical to library records are recognized by their fields (no pairwise comparison): the
    batch matcher sees only the variant."""
    import ingest.importer as importer

    seen: list[list[str]] = []
    real = importer.match_batch

    def spy(records, existing):
        seen.append([r.title for r in records])
        return real(records, existing)

    monkeypatch.setattr(importer, "match_batch", spy)
    lib = Library.load(references_copy)
    again = [lib.get(key) for key in list(lib)[:5]]
    report = import_records(lib, [*again, _variant()], source="mixed.ris")
    assert len(seen) == 1 and len(seen[0]) == 1 and seen[0][0].lower().startswith("oil-based versus water-based")
    assert len(report.merged) == 6 and not report.added
    assert [m.matched_on for m in report.merged[:5]] == ["identical record"] * 5
    assert all(not m.changed for m in report.merged[:5])
    seen.clear()
    import_records(lib, again, source="again.ris")
    assert seen == [[]]  # nothing left to compare
