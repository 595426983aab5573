"""library.fields: plain values (plain_values) are read without decoding them one by one and checked for a save
without looking at each again; both shortcuts must give what the value-by-value rules give."""

from __future__ import annotations

import random

from library.bibfile import expand_value, parse_chunk
from library.fields import fields_as_written, plain_values, record_from_fields, stored_as_written

from .conftest import bib_chunks, utf8_bib_files


def _entries(limit: int = 1500) -> list[tuple[str, str, dict[str, str]]]:
    out: list[tuple[str, str, dict[str, str]]] = []
    for data in utf8_bib_files():
        for text in bib_chunks(data):
            for block in parse_chunk(text):
                if block.kind == "entry":
                    values = {name.lower(): expand_value(raw, {}) for name, raw in block.fields}
                    out.append((block.key, block.entry_type, values))
            if len(out) >= limit:
                return out
    return out


def _generated(count: int) -> list[dict[str, str]]:
    rng = random.Random(19)
    names = ["title", "abstract", "journal", "author", "editor", "year", "pages", "doi", "url", "topics",
             "keywords", "relevance", "cited_in", "relations", "protect", "retracted", "slug", "origtitle"]
    pieces = [*"abc XYZ09-;,.>|&%_^~$\\{}\t\n", "--", "  ", " and ", "Müller, Jürgen", "\u00a0", "\u00ad", "Łukasz",
              "中", "\x85", "Smith, John", "{\\'e}"]
    out = []
    for _ in range(count):
        values = {}
        for _ in range(rng.randint(0, 6)):
            value = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
            if rng.random() < 0.6:  # mostly plain text, so that both paths are taken
                value = " ".join("".join(c for c in value if c.isalnum() or c in " -;,.>").split())
            values[rng.choice(names)] = value
        out.append(values)
    return out


def test_plain_records_are_the_records_decoded_value_by_value() -> None:
    cases = [(key, kind, values) for key, kind, values in _entries()]
    cases += [(f"k{i}", "article", values) for i, values in enumerate(_generated(1500))]
    plain = 0
    for key, kind, values in cases:
        fast = record_from_fields(key, kind, values)
        assert fast == record_from_fields(key, kind, values, plain=False), (key, values)
        plain += plain_values(tuple(values), list(values.values()))
    assert 50 < plain < len(cases)  # both paths taken


def test_fields_as_written_agrees_with_the_rule_for_each_value() -> None:
    cases = [values for _, _, values in _entries()] + _generated(1500)
    agreed = 0
    for values in cases:
        names, texts = tuple(values), list(values.values())
        expected = all(map(stored_as_written, names, texts))
        assert fields_as_written(names, texts) == expected, values
        assert fields_as_written(names, texts, plain_values(names, texts)) == expected, values
        agreed += expected
    assert 50 < agreed < len(cases)
