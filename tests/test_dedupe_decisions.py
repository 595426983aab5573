"""The review decisions file beside the library: documented format, round trip, clear errors."""

from __future__ import annotations

import json

import pytest

from library.dedupe import Decisions, DecisionsError, decisions_path, load_decisions, save_decisions


def test_path_is_beside_the_library(tmp_path):
    assert decisions_path(tmp_path / "references.bib") == tmp_path / "references.dedupe.json"


def test_round_trip_sorted_and_latest_decision_wins(tmp_path):
    decisions = Decisions()
    decisions.reject("mol2020b", "mol2020a", date="2025-05-01")
    decisions.accept("dreyer2017", "dreyer2017b", date="2025-05-02")
    decisions.accept("mol2020a", "mol2020b", date="2025-05-03")  # changes its mind
    path = tmp_path / "references.dedupe.json"
    save_decisions(decisions, path)
    data = json.loads(path.read_text())
    assert data["format"] == "reflib-dedupe-decisions" and data["version"] == 1
    assert data["accepted"] == [{"keys": ["dreyer2017", "dreyer2017b"], "date": "2025-05-02"},
                                {"keys": ["mol2020a", "mol2020b"], "date": "2025-05-03"}]
    assert data["rejected"] == []
    loaded = load_decisions(path)
    assert loaded == decisions and loaded.status("mol2020b", "mol2020a") == "accepted"
    assert loaded.status("x", "y") == ""


def test_missing_file_means_no_decisions(tmp_path):
    assert len(load_decisions(tmp_path / "none.dedupe.json")) == 0


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "cannot read"),
    ('{"format": "other", "version": 1}', "not a reflib dedupe decisions file"),
    ('{"format": "reflib-dedupe-decisions", "version": 9}', "unsupported version"),
    ('{"format": "reflib-dedupe-decisions", "version": 1, "rejected": [{"keys": ["a"]}]}', "two different keys"),
    ('{"format": "reflib-dedupe-decisions", "version": 1, "accepted": [{"keys": ["a", "b"]}], '
     '"rejected": [{"keys": ["b", "a"]}]}', "both accepted and rejected"),
])
def test_bad_files_are_reported_with_the_path(tmp_path, text, message):
    path = tmp_path / "references.dedupe.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DecisionsError, match=message) as info:
        load_decisions(path)
    assert str(path) in str(info.value)


def test_a_pair_needs_two_keys():
    with pytest.raises(ValueError):
        Decisions().reject("a", "a")
