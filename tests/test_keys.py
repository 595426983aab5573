"""Citation keys: authorYEARword, ASCII-only, deterministic, documented suffix rule."""

from __future__ import annotations

import re

import pytest

from library.keys import base_key, key_suffix, make_key
from library.model import Author, Record


def _record(family: str = "Dreyer", year: int | None = 2017,
            title: str = "Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women",
            **kwargs: object) -> Record:
    return Record(key="", authors=[Author(family, "Kim")] if family else [], year=year, title=title,
                  **kwargs)  # type: ignore[arg-type]


def test_matches_the_seed_library_style() -> None:
    assert make_key(_record(), set()) == "dreyer2017oil"
    assert make_key(_record("van Rijswijk", 2020, "Tubal flushing with oil-based or water-based contrast"),
                    set()) == "vanrijswijk2020tubal"
    assert make_key(_record("Wang", 2019, "Effectiveness on fertility outcome of tubal flushing"),
                    set()) == "wang2019effectiveness"


def test_ascii_only_and_stop_words_skipped() -> None:
    key = make_key(_record("Ødegård-Müller", 2021, "The 3 effects of ß-blockers on Łódź women"), set())
    assert key == "odegardmuller2021effects"
    assert re.fullmatch(r"[a-z0-9]+", key)


def test_missing_parts() -> None:
    assert make_key(_record(year=None), set()) == "dreyerndoil"
    assert make_key(_record(title=""), set()) == "dreyer2017"
    assert make_key(_record(family=""), set()) == "anon2017oil"
    editors_only = Record(key="", editors=[Author("Mol", "Ben")], year=2010, title="Infertility")
    assert make_key(editors_only, set()) == "mol2010infertility"
    collective = Record(key="", authors=[Author(literal="The American College of Obstetricians")], year=2019,
                        title="Hysterosalpingography")
    assert make_key(collective, set()) == "american2019hysterosalpingography"


def test_suffix_rule() -> None:
    taken = {"dreyer2017oil"}
    assert make_key(_record(), taken) == "dreyer2017oila"
    taken |= {"dreyer2017oila", "dreyer2017oilb"}
    assert make_key(_record(), taken) == "dreyer2017oilc"
    assert [key_suffix(n) for n in (1, 2, 26, 27, 28, 52, 53, 702, 703)] == [
        "a", "b", "z", "aa", "ab", "az", "ba", "zz", "aaa"]
    with pytest.raises(ValueError):
        key_suffix(0)


def test_deterministic() -> None:
    record = _record()
    assert make_key(record, {"x"}) == make_key(record.copy(), {"x"}) == base_key(record)


def test_hints_give_the_same_keys_as_a_full_search() -> None:
    """An import makes many keys against a growing set; the hints skip suffixes already taken, nothing else."""
    existing = {"dreyer2017oil", "dreyer2017oila", "dreyer2017oilc", "dreyer2017oilab", "mol2010infertility"}
    plain, hinted = set(existing), set(existing)
    hints: dict[str, int] = {}
    records = [_record() if n % 3 else _record("Mol", 2010, "Infertility") for n in range(60)]
    for record in records:
        a, b = make_key(record, plain), make_key(record, hinted, hints)
        assert a == b and a not in existing
        plain.add(a)
        hinted.add(b)
    assert "dreyer2017oilb" in plain and "dreyer2017oilac" in plain and "dreyer2017oilab" in existing
    assert hints["dreyer2017oil"] > 26  # the search for the 40th copy started after the suffixes seen taken
