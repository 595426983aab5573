"""Batched citations (:func:`library.export.cite_many`, one bibliography per style) give every record the same
strings as :func:`library.export.cite_this` formatting it alone: on the bundled library and on real records of the
corpus (PubMed, MEDLINE, RIS, WoS, Scopus and systematic-review sets), in every output format the site or CLI uses."""

from __future__ import annotations

import pytest

from benchmarks.citation_corpus import citation_records
from library import Library
from library.export import cite_many, cite_this
from library.model import Record
from library.publish.cites import CiteCache

from .conftest import CORPUS, REFERENCES


def _assert_batch_equals_one_by_one(records: list[Record], fmt: str) -> None:
    batch = cite_many(records, fmt)
    assert len(batch) == len(records)
    differing = []
    for record, got in zip(records, batch, strict=True):
        alone = cite_this(record, fmt)
        alone.pop("ris")
        if got != alone:
            differing.append((record.key, {k: (got.get(k), alone[k]) for k in alone if got.get(k) != alone[k]}))
    assert not differing, f"{len(differing)} of {len(records)} records differ, e.g. {differing[:3]}"


@pytest.mark.slow  # about a second or more: run by make test, not make unit
@pytest.mark.parametrize("fmt", ["html", "text"])
def test_batch_equals_one_by_one_on_the_bundled_library(fmt: str) -> None:
    records = list(Library.load(REFERENCES).records())
    _assert_batch_equals_one_by_one(records + records[:3], fmt)  # the same record twice in one batch, too


@pytest.mark.slow  # about a second or more: run by make test, not make unit
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_batch_equals_one_by_one_on_real_corpus_records() -> None:
    records = citation_records(CORPUS)
    assert len(records) > 100
    _assert_batch_equals_one_by_one(records, "html")


def test_cache_formats_misses_together_and_serves_hits() -> None:
    records = list(Library.load(REFERENCES).records())[:6]
    cache = CiteCache(None)
    first = cache.get_many(records)
    assert (cache.hits, cache.misses) == (0, 6)
    again = cache.get_many(records[::-1])
    assert (cache.hits, cache.misses) == (6, 6)
    assert again[::-1] == first
    alone = cite_this(records[2], "html")
    assert first[2] == alone
