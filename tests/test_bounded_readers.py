"""Memory per record bounded in the readers and reports (issue 21): MEDLINE parsed one record at a time, JSON item
lists parsed one item at a time (with json.loads' values and errors), records counted while a file is read (too
many: refused without holding the file), ``import --json`` written as it is made (json.dumps' bytes).

Memory is measured with tracemalloc at small sizes, against the whole-file way of doing the same thing."""

from __future__ import annotations

import io
import json
import random
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from ingest.base import ReadError
from ingest.import_report import Added, ImportReport, Merged, ReviewPair, Skipped
from ingest.readers import limits, read_data, read_stream
from ingest.readers.json_stream import LazyArray, loads
from ingest.readers.medline import iter_medline, parse_medline, read_medline
from library.json_out import JsonArray, write_json


def _peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _plain(value: Any) -> Any:
    if isinstance(value, LazyArray):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _outcome(parse: Callable[[str], Any], text: str) -> tuple[Any, ...]:
    try:
        return ("value", _plain(parse(text)))
    except json.JSONDecodeError as exc:
        return ("error", str(exc), exc.lineno, exc.colno, exc.pos)


_DOCUMENTS = (
    '[{"id": "a", "title": "T", "author": [{"family": "F"}]}, {"id": "b"}]',
    '{"status": "ok", "message-type": "work-list", "message": {"items": [{"title": ["x"]}, {"DOI": "1"}], "n": 2}}',
    " [ ] ", '{"message": {"items": []}}', '{"message": []}', '[1, [2, 3], {"a": [4]}]',
    '{"a": 1, "a": 2, "message": {"items": [1], "items": [2, 3]}}', '\n[\n {"x": "y"} ,\n {"z": null}\n]\n',
)
_PATHS = (((),), ((), ("message", "items")), (("message",),))


def test_json_stream_gives_json_loads_values_and_errors() -> None:
    rng = random.Random(21)
    alphabet = '[]{},:" \n\t1a\\e-.0tfn'
    differ = []
    for _ in range(3000):
        text = rng.choice(_DOCUMENTS)
        for _ in range(rng.randint(0, 3)):  # delete, insert, truncate
            at, roll = rng.randint(0, len(text)), rng.random()
            text = (text[:at] + text[at + 1:] if roll < 0.4 else text[:at] + rng.choice(alphabet) + text[at:]
                    if roll < 0.8 else text[:at])
        expected = _outcome(json.loads, text)
        for paths in _PATHS:
            if _outcome(lambda t, p=paths: loads(t, p), text) != expected:  # type: ignore[misc]
                differ.append((text, paths))
    assert not differ, differ[:5]
    with pytest.raises(json.JSONDecodeError, match="Unexpected UTF-8 BOM"):
        loads("\ufeff[]")


def test_lazy_array_is_a_sequence_parsed_again_on_each_pass() -> None:
    items = loads('[{"a": 1}, [2], "three"]')
    assert isinstance(items, LazyArray) and len(items) == 3
    assert list(items) == list(items) == [{"a": 1}, [2], "three"]
    assert items[0] == {"a": 1} and items[-1] == "three"
    with pytest.raises(IndexError):
        items[3]
    crossref = loads('{"message": {"items": [1, 2], "other": [3]}, "x": [4]}', ((), ("message", "items")))
    assert isinstance(crossref["message"]["items"], LazyArray)
    assert crossref["message"]["other"] == [3] and crossref["x"] == [4]  # only the given paths are lazy


def test_json_item_lists_are_held_one_item_at_a_time() -> None:
    text = "[" + ",".join(f'{{"id": "k{n}", "title": "Title {n}", "author": [{{"family": "F{n}"}}]}}'
                           for n in range(4_000)) + "]"
    whole = _peak(lambda: json.loads(text))
    lazy = _peak(lambda: sum(1 for _ in loads(text)))
    assert lazy * 20 < whole, (lazy, whole)  # whole: ~4 MB of dicts; lazy: one item, and a few to check


def test_medline_records_are_parsed_one_at_a_time() -> None:
    text = "".join(f"PMID- {n}\nTI  - Title {n}\n      continued\nAU  - Smith J\nDP  - 2001\n\n"
                   for n in range(1, 1_001))
    problems: list[Any] = []
    whole = _peak(lambda: parse_medline(text, "x.nbib"))
    lazy = _peak(lambda: sum(1 for _ in iter_medline(text, "x.nbib", problems)))
    assert lazy * 20 < whole, (lazy, whole)
    assert list(iter_medline(text[:200], "x", problems)) == parse_medline(text[:200], "x")[0]


def test_medline_stray_lines_are_reported_before_the_records_problems() -> None:
    data = (b"junk\nPMID- 1\nTI  - A title\nstray\n\nPMID- x2\nTI  - Other\n\nAB  - nothing to name it\n")
    result = read_medline(data, "m.nbib")
    assert [(p.line, p.record, p.message) for p in result.problems] == [
        (1, 1, "not a MEDLINE line, ignored: 'junk'"), (4, 1, "not a MEDLINE line, ignored: 'stray'"),
        (6, 2, "invalid PMID 'x2': expected digits only; kept as given"),
        (9, 3, "record has no title, PMID or DOI; skipped")]


# --- records counted while the file is read --------------------------------------------------------------------
class _Endless(io.RawIOBase):
    """``total`` bytes of one RIS record repeated, made as they are read (never held)."""

    def __init__(self, total: int, record: bytes = b"TY  - JOUR\nTI  - A title\nER  - \n\n") -> None:
        self.left, self.block = total, record * (65536 // len(record))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), len(self.block), self.left)
        buffer[:size] = self.block[:size]
        self.left -= size
        return size


def test_too_many_records_are_refused_without_holding_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFLIB_MAX_RECORDS", "1000")
    monkeypatch.setenv("REFLIB_MAX_INPUT_MB", "64")
    raised: list[str] = []

    def read() -> None:
        with pytest.raises(ReadError) as error:
            read_stream(io.BufferedReader(_Endless(40 << 20)), "many.ris")
        raised.append(str(error.value))

    assert _peak(read) < 4 << 20  # 40 MB read (the rest only to see whether it is too large), ~1 MB held
    assert raised == ["many.ris: more than 1,000 records; refused (split the file, or raise REFLIB_MAX_RECORDS)"]
    monkeypatch.setenv("REFLIB_MAX_INPUT_MB", "16")  # too large as well: that refusal comes first, as before
    with pytest.raises(ReadError, match="many.ris: more than 16 MB of input; refused"):
        read_stream(io.BufferedReader(_Endless(40 << 20)), "many.ris")


def test_the_running_count_never_counts_more_than_the_whole_data() -> None:
    rng = random.Random(4)
    lines = [b"TY  - JOUR", b"  TY  - X", b"@article{a,", b"@string{x=1}", b"@ misc (", b"PMID- 1", b"PT J", b"xx",
             b"", b" " * 5000 + b"TY  - J", b"TY  -"]
    for _ in range(100):
        data = b"\n".join(rng.choice(lines) for _ in range(rng.randint(0, 60))) + rng.choice([b"", b"\n"])
        for fmt in ("ris", "bibtex", "medline", "wos"):
            exact = len(limits.MARKERS[fmt].findall(data))  # the exact count, as count_check makes it
            counter = limits.RecordCounter(limits.MARKERS[fmt], 10**9)
            at = 0
            while at < len(data):
                step = rng.choice([1, 2, 7, 100, 5000, 9000])
                counter.feed(data[at:at + step])
                at += step
            last = data.rsplit(b"\n", 1)[-1] if b"\n" in data else data
            long_lines = any(len(line) > 4096 for line in data.split(b"\n"))
            assert counter.count <= exact
            assert long_lines or counter.count + len(limits.MARKERS[fmt].findall(last)) == exact


# --- import --json written as it is made --------------------------------------------------------------------------
def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 4 and roll < 0.25:
        return {rng.choice(["a", "é", '"q', "k\n"]) + str(rng.randint(0, 3)): _value(rng, depth + 1)
                for _ in range(rng.randint(0, 3))}
    if depth < 4 and roll < 0.5:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return rng.choice(["", "x", "é\u2028\x1b\x00", 1, -5, 1.5, float("nan"), 1e300, True, False, None, "a\\b", "\t"])


def test_write_json_writes_json_dumps_bytes() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        value = _value(rng)
        out = io.StringIO()
        write_json(value, out, block=3)
        assert out.getvalue() == json.dumps(value, ensure_ascii=False, indent=2) + "\n"
        if isinstance(value, list):
            out = io.StringIO()
            write_json({"files": JsonArray(iter(value))}, out)
            assert out.getvalue() == json.dumps({"files": value}, ensure_ascii=False, indent=2) + "\n"


def test_streamed_import_report_is_the_report_json() -> None:
    report = ImportReport("refs.ris", added=[Added("smith2001a", "A title é", "k1"), Added("doe2002b", "B", "")],
                          merged=[Merged("x", "incoming", "doi", ["year"], ["note: y (from refs.ris)"], True, True,
                                         ["same DOI"], within_file=True)],
                          review=[ReviewPair("smith2001a", "doe2002b", ["similar titles"], 0.5)],
                          skipped=[Skipped("(untitled)", "no title and no identifier")])
    empty = ImportReport("none.bib", dry_run=True)
    for one in (report, empty):
        out = io.StringIO()
        write_json({"files": JsonArray([one.to_json(stream=True)])}, out)
        assert out.getvalue() == json.dumps({"files": [one.to_json()]}, ensure_ascii=False, indent=2) + "\n"


def test_csv_with_too_many_rows_is_refused_before_a_record_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.readers.csv as csv_reader

    built: list[object] = []
    real = csv_reader.normalize_record

    def counted(record: Any, **options: Any) -> Any:
        built.append(record)
        return real(record, **options)

    monkeypatch.setattr(csv_reader, "normalize_record", counted)
    monkeypatch.setenv("REFLIB_MAX_RECORDS", "200")
    rows = "".join(f"Title {n},2020\n" for n in range(201))
    with pytest.raises(ReadError, match="many.csv: more than 200 records; refused"):
        read_data(("title,year\n" + rows).encode(), "many.csv")
    assert not built
    assert len(read_data(("title,year\n" + rows[:-15] + "\n\n\n").encode(), "fewer.csv").records) == 200  # blank


# --- the duplicate check's blocking: memory per record does not depend on the longest title ------------------------
def test_one_long_title_does_not_make_every_record_big() -> None:
    from library.dedupe.blocking import candidate_pairs
    from library.dedupe.table import build_table
    from library.model import Author, Record

    records = [Record(key=f"k{n}", title=f"Trial {n} of a treatment in adults", year=2000 + n % 20,
                      authors=[Author(f"Name{n % 300}", "J")]) for n in range(2500)]
    records[0].title = "long " * 4000  # 20,000 characters: as a numpy str array, 80 kB for each of the 2,500
    table = build_table(records)
    pairs: list[Any] = []
    assert _peak(lambda: pairs.append(candidate_pairs(table))) < 16 << 20  # a str copy would take 200 MB
    assert len(pairs[0]) > 0
