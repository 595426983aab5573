"""The study page's fast paths give what their plain definitions give: the head written in one pass is the
Highwire tags of :func:`highwire_tags` and :func:`json_ld` as :func:`json_script` writes it, :func:`json_string` is
:func:`json_script` of a string, and :func:`study_parts` is (:func:`head_metadata`, :func:`study_body`); on the
bundled library, the hostile record and generated records full of characters JSON and HTML escape. The cite
cache's key tells citation-relevant edits apart, survives a reopened file and ignores a cache of the earlier
layout."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

from library import Library
from library.evidence.encyclopedia import load_entries
from library.export import to_ris
from library.export.csljson import csl_item
from library.model import Author, EntryLink, Record, Synopsis
from library.publish import PublishConfig
from library.publish.cites import CiteCache
from library.publish.markup import esc, json_script, json_string
from library.publish.study import head_metadata, highwire_tags, json_ld, study_body, study_parts

from .conftest import REFERENCES, ROOT
from .test_publish import HOSTILE

# what JSON, HTML or white space handling treats apart: controls, quotes, backslash, markup, line separators,
# no-break and zero-width spaces, a byte order mark, non-Latin and astral characters, a lone surrogate
_PIECES = ["a", "B", " ", "  ", "\n", "\t", "\r\n", "<", ">", "&", '"', "'", "\\", "/", "\u2028", "\u00a0", "\u200b",
           "\ufeff", "é", "—", "😀", "\x00", "\x01", "\x1f", "\x7f", "\x85", "</script>", "<!--", "javascript:",
           "RESULTS: ", "Background: ", "10.1000/x", "\ud800"]


def _text(rng: random.Random, most: int) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, most)))


def _generated(count: int, seed: int = 19) -> list[Record]:
    rng = random.Random(seed)
    records = []
    for i in range(count):
        record = Record(key=f"gen{i}", entry_type=rng.choice(["article", "incollection", "inproceedings", "book",
                                                              "phdthesis", "techreport"]))
        record.authors = [Author(family=_text(rng, 6), given=_text(rng, 3) if rng.random() < 0.7 else "",
                                 literal=_text(rng, 4) if rng.random() < 0.2 else "",
                                 orcid=rng.choice(["", "0000-0002-1825-0097", " https://orcid.org/0000-0002-1825-009X"]))
                          for _ in range(rng.randint(0, 4))]
        record.editors = [Author(family=_text(rng, 5), given=_text(rng, 3), literal=_text(rng, 3) if rng.random() < 0.2
                                 else "") for _ in range(rng.choice([0, 0, 1, 2]))]
        if rng.random() < 0.3:
            record.extra["school" if rng.random() < 0.5 else "institution"] = _text(rng, 6)
        for name in ("title", "journal", "journal_abbrev", "booktitle", "publisher", "volume", "issue", "issn",
                     "isbn", "language", "doi", "pmid", "pmcid", "url"):
            if rng.random() < 0.6:
                setattr(record, name, _text(rng, 10))
        record.year = rng.choice([None, 2021, 7])
        record.month = rng.choice(["", "Mar", "12", "13"])
        record.pages = rng.choice(["", "1--5", "e123", _text(rng, 4)])
        record.abstract = rng.choice(["", _text(rng, 80), "BACKGROUND: " + "word " * 40 + _text(rng, 8)])
        record.keywords = [_text(rng, 4) for _ in range(rng.randint(0, 3))]
        record.topics = [rng.choice(["A > B", "x<y", _text(rng, 4)]) for _ in range(rng.randint(0, 2))]
        record.synopsis = Synopsis(_text(rng, 5), _text(rng, 5), "")
        record.links = [EntryLink("hysterosalpingogram", rng.choice(["cited", "discussed"]), rng.choice([None, 2]))]
        record.retracted = rng.random() < 0.1
        records.append(record)
    return records


def _records(tmp_path: Path) -> list[Record]:
    bib = tmp_path / "references.bib"
    bib.write_text(REFERENCES.read_text(encoding="utf-8") + HOSTILE, encoding="utf-8")
    return [*Library.load(bib).records(), *_generated(150)]


def test_head_is_the_highwire_tags_and_the_json_ld(tmp_path: Path) -> None:
    records = _records(tmp_path)
    for record in records:
        for url in ("", "https://example.org/library/library/a.html"):
            expected = "".join(f'<meta name="{name}" content="{esc(value)}">\n'
                               for name, value in highwire_tags(record))
            expected += f'<script type="application/ld+json">{json_script(json_ld(record, url))}</script>\n'
            assert head_metadata(record, url) == expected, record.key
    # the generated text does reach the escaping paths
    heads = "".join(head_metadata(r, "") for r in records)
    assert "\\u003c/script\\u003e" in heads and "\\u0000" in heads and "\\\\" in heads and "&lt;" in heads


def test_study_parts_are_head_and_body(tmp_path: Path) -> None:
    entries = load_entries(ROOT / "encyclopedia.toml")
    config = PublishConfig(base_url="https://example.org/library/", unverified_note=True)
    cites = {"apa": "<i>APA</i>", "vancouver": "V", "mla": "", "ama": "AMA &amp; more"}
    for record in _records(tmp_path):
        url = config.absolute("library/a-slug.html")
        assert study_parts(record, "a-slug", cites, entries, config, url) == (
            head_metadata(record, url), study_body(record, "a-slug", cites, entries, config)), record.key


def test_json_string_is_json_script_of_the_value() -> None:
    rng = random.Random(5)
    values: list[object] = [_text(rng, n) for n in (0, 1, 3, 10, 40, 120, 400) for _ in range(60)]
    values += ["plain ascii " * 20, "plain ascii " * 20 + "\x01", "é" * 100 + "\x1f", "—" * 70 + '"',
               "x" * 70 + "\ud800", 3, None, True, 1.5, ["a"], {"k": "<v>"}]
    for value in values:
        assert json_string(value) == json_script(value), repr(value)
        if isinstance(value, str) and "\ud800" not in value:
            assert json.loads(json_string(value)) == value


def test_cite_cache_keys_reopened_file_and_earlier_layout(tmp_path: Path) -> None:
    path = tmp_path / "cite.sqlite"
    with sqlite3.connect(path) as db:  # a cache of the earlier layout: its rows are never served
        db.execute("CREATE TABLE cite (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        db.execute("INSERT INTO cite VALUES ('x', '{}')")
    db.close()
    records = list(Library.load(REFERENCES).records())[:4]
    items = [csl_item(r, keep_custom=True) for r in records]

    class Counting(CiteCache):
        formatted = 0

        def format_many(self, records, items=None):  # type: ignore[no-untyped-def]
            Counting.formatted += len(records)
            return [{s: f"{s} {r.title}" for s in ("apa", "vancouver", "mla", "ama")} for r in records]

    cache = Counting(path)
    first = cache.get_many(records, items)
    cache.close()
    assert Counting.formatted == 4 and first[0]["apa"] == f"apa {records[0].title}"
    assert first[1]["ris"] == to_ris([records[1]])
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    assert "cite" not in tables
    again = Counting(path)
    assert again.get_many(records[::-1]) == first[::-1]  # without items: made from the records, same keys
    assert Counting.formatted == 4 and (again.hits, again.misses) == (4, 0)
    # the key: the same for what citations never print, another for what they do
    record = records[0]
    edited = record.copy()
    edited.abstract, edited.keywords, edited.note, edited.topics = "Other.", ["k"], "n", ["Some > Topic"]
    assert again.key(edited) == again.key(record) == again.key(record, csl_item(record, keep_custom=True))
    edited.title = record.title + "."
    assert again.key(edited) != again.key(record)
    again.close()
