"""Golden files for every reader: raw input in ``tests/golden/<format>/`` -> the expected records and problems.

A changed reader output shows up as a diff of a reviewed JSON file. ``REFLIB_GOLDEN=write`` rewrites the expected
files (then review the diff by eye before committing).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from ingest.readers import FORMATS, read_data

GOLDEN = Path(__file__).resolve().parent / "golden"
INPUTS = sorted(p for fmt in FORMATS for p in (GOLDEN / fmt).iterdir()
                if p.suffix != ".json" or (fmt.endswith("json") and not p.name.endswith(".expected.json")))


def expected_path(raw: Path) -> Path:
    """``hsg.ris`` -> ``hsg.json``; a JSON input keeps its name and gets ``.expected.json``."""
    return raw.with_name(raw.stem + (".expected.json" if raw.suffix == ".json" else ".json"))


def _plain(value: object) -> object:
    """A record's values as JSON, leaving out what is empty (the defaults), so each golden file shows what was read."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        pairs = ((f.name, _plain(getattr(value, f.name))) for f in dataclasses.fields(value))
        return {k: v for k, v in pairs if v not in ("", None, [], {}, False)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def reading(raw: Path) -> dict[str, object]:
    result = read_data(raw.read_bytes(), raw.name, raw.parent.name)
    return {"format": result.format, "records": [_plain(r) for r in result.records],
            "problems": [f"{p.severity}{' (fatal)' if p.fatal else ''}: {p}" for p in result.problems]}


def test_every_reader_has_golden_files() -> None:
    assert {p.parent.name for p in INPUTS} == set(FORMATS)


@pytest.mark.parametrize("raw", INPUTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_reader_output_matches_its_golden_file(raw: Path) -> None:
    got = reading(raw)
    golden = expected_path(raw)
    if os.environ.get("REFLIB_GOLDEN") == "write":
        golden.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with REFLIB_GOLDEN=write and review it"
    assert got == json.loads(golden.read_text(encoding="utf-8"))
