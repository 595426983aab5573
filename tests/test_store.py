"""The store invariants: lossless round trips, minimal edits, malformed blocks kept, safe writes, the cache."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from library import ConflictError, KeyExistsError, Library, Record, UnknownKeyError
from library.model import Author, EntryLink

from .conftest import FIXTURES, REFERENCES, corpus_files

MIXED = FIXTURES / "mixed.bib"
BIB_FILES = corpus_files(".bib")


def _round_trip(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.bib"
    copy.write_bytes(path.read_bytes())
    lib = Library.load(copy)
    frame = lib.frame()
    assert len(frame) == len(lib)
    assert not lib.dirty
    assert b"".join(lib.render()) == path.read_bytes()


@pytest.mark.parametrize("path", [REFERENCES, MIXED], ids=lambda p: p.name)
def test_round_trip_is_byte_identical(path, tmp_path):
    _round_trip(path, tmp_path)


@pytest.mark.parametrize("path", BIB_FILES, ids=lambda p: str(p.relative_to(p.parents[3])) if len(p.parents) > 3 else p.name)
def test_round_trip_corpus(path, tmp_path):
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8; loading reports it (see test_not_utf8)")
    _round_trip(path, tmp_path)


def test_corpus_present_or_skipped():
    # guards against the parametrization silently collecting nothing when ../shared exists
    from .conftest import CORPUS
    if CORPUS.is_dir():
        assert len(BIB_FILES) > 50


def test_edit_changes_only_that_entry(references_copy):
    before = references_copy.read_text(encoding="utf-8").splitlines()
    lib = Library.load(references_copy)
    record = lib.get("fang2018oil")
    record.notes = "Meta-analysis of 5 RCTs; check heterogeneity."
    record.volume = "111"
    lib.update(record)
    assert lib.save()
    after = references_copy.read_text(encoding="utf-8").splitlines()
    removed = sorted((Counter(before) - Counter(after)).elements())
    added = sorted((Counter(after) - Counter(before)).elements())
    today = lib.get("fang2018oil").modified
    plain_removed = {line.rstrip(",") for line in removed}
    plain_added = {line.rstrip(",") for line in added}
    assert "  volume       = {110}" in plain_removed and len(removed) <= 2  # plus, at most, the old last line
    assert {"  volume       = {111}", "  notes        = {Meta-analysis of 5 RCTs; check heterogeneity.}"} <= plain_added
    assert today == dt.date.today().isoformat()
    assert len(added) <= 4
    # and all of it inside the edited entry
    start = before.index("@article{fang2018oil,")
    end = before.index("}", start)
    assert before[:start] == after[:start] and before[end + 1:] == after[end + 1 + len(added) - len(removed):]
    again = Library.load(references_copy)
    assert again.get("fang2018oil").notes.startswith("Meta-analysis of 5 RCTs")
    assert again.get("fang2018oil").volume == "111"


def test_edit_keeps_unknown_fields_macros_order_and_raw_values(tmp_path):
    path = tmp_path / "m.bib"
    path.write_bytes(MIXED.read_bytes())
    lib = Library.load(path)
    record = lib.get("after_broken")
    assert record.journal == "Fertility and Sterility (Online)"
    record.title = "Tubal patency testing with foam: a randomized trial"
    lib.update(record)
    lib.save()
    text = path.read_text(encoding="utf-8")
    assert "  journal      = fs # { (Online)}," in text  # macro concatenation kept, not expanded
    assert "  title        = {Tubal patency testing with foam: a randomized trial}," in text
    assert "{FOAM Study Group}" in text
    block = text[text.index("@article{after_broken"):]
    names = [line.split("=")[0].strip() for line in block.splitlines()[1:8]]
    assert names == ["author", "title", "journal", "year", "pages", "pmid", "modified"]
    # everything outside the edited entry is untouched
    original = MIXED.read_text(encoding="utf-8")
    head = original[: original.index("@article{after_broken")]
    assert text.startswith(head)
    assert "@string{hr = {Human Reproduction}}" in text and "This line is not BibTeX" in text


def test_unknown_field_of_dreyer_survives_edit(tmp_path):
    path = tmp_path / "m.bib"
    path.write_bytes(MIXED.read_bytes())
    lib = Library.load(path)
    record = lib.get("Dreyer2017")
    assert record.extra["x-custom-field"] == "kept as is"
    assert record.month == "May" and record.year == 2017 and record.title.endswith("Hysterosalpingography")
    record.stance = "supportive"
    lib.update(record)
    lib.save()
    text = path.read_text(encoding="utf-8")
    assert "x-custom-field = {kept as is}" in text
    assert "month        = may" in text  # the macro, not its expansion
    assert "Title        = \"Oil-Based or Water-Based Contrast for {H}ysterosalpingography\"" in text
    assert "  stance       = {supportive}" in text


def test_malformed_blocks_are_reported_with_lines_and_kept(tmp_path):
    lib = Library.load(MIXED)
    problems = lib.malformed()
    assert [(p.line, p.kind) for p in problems] == [(21, "malformed")]
    assert "after_broken" in lib and "broken2020" not in lib
    path = tmp_path / "m.bib"
    path.write_bytes(MIXED.read_bytes())
    lib = Library.load(path)
    lib.add(Record(key="new2024", title="New"))
    lib.save()
    assert "@article{broken2020,\n  title = {An entry with an unbalanced brace,\n  year = {2020}\n" in path.read_text()


def test_new_records_use_the_documented_layout(references_copy):
    lib = Library.load(references_copy)
    record = Record(key="who2020factsheet", entry_type="online", authors=[Author(literal="World Health Organization")],
                    title="Infertility fact sheet: 50% & more", year=2020, url="https://www.who.int/a_b",
                    urldate="2020-05-01", topics=["Infertility"], links=[EntryLink("hsg", "cited", 2)])
    lib.add(record)
    lib.save()
    text = references_copy.read_text(encoding="utf-8")
    expected = textwrap.dedent("""\

        @online{who2020factsheet,
          author       = {{World Health Organization}},
          title        = {Infertility fact sheet: 50\\% \\& more},
          year         = {2020},
          url          = {https://www.who.int/a_b},
          urldate      = {2020-05-01},
          topics       = {Infertility},
          cited_in     = {hsg#2},
          added        = {ADDED}
        }
        """).replace("ADDED", lib.get("who2020factsheet").added)
    assert text.endswith(expected)
    again = Library.load(references_copy).get("who2020factsheet")
    assert again.authors == [Author(literal="World Health Organization")]
    assert again.title == "Infertility fact sheet: 50% & more" and again.url == "https://www.who.int/a_b"
    assert again.links == [EntryLink("hsg", "cited", 2)]


def test_add_update_remove_and_len(references_copy):
    lib = Library.load(references_copy)
    n = len(lib)
    with pytest.raises(KeyExistsError):
        lib.add(Record(key="dreyer2017oil"))
    with pytest.raises(UnknownKeyError):
        lib.get("nope")
    lib.remove("dreyer2017oil")
    assert len(lib) == n - 1 and "dreyer2017oil" not in lib
    lib.add(Record(key="x2024", title="X"))
    assert len(lib) == n and len(lib.frame()) == n
    lib.save()
    text = references_copy.read_text(encoding="utf-8")
    assert "dreyer2017oil" not in text and text.startswith("@article{vanrijswijk2020tubal,")
    assert len(Library.load(references_copy)) == n


def test_frame_types(references_copy):
    frame = Library.load(references_copy).frame()
    assert str(frame["year"].dtype) == "Int64" and str(frame["relevance"].dtype) == "Int64"
    row = frame.set_index("key").loc["dreyer2017oil"]
    assert list(row["authors"])[0] == "Dreyer, Kim" and len(row["authors"]) == 32
    assert list(row["topics"]) == ["Diagnostics > Tubal patency > HSG > Contrast media"]
    assert row["year"] == 2017 and row["verification"] == "unverified"
    assert isinstance(frame["entries"].iloc[0], list)


def test_conflicting_save_is_refused_and_file_kept(references_copy):
    lib = Library.load(references_copy)
    record = lib.get("fang2018oil")
    record.notes = "mine"
    lib.update(record)
    other = Library.load(references_copy)
    theirs = other.get("fang2018oil")
    theirs.notes = "theirs"
    other.update(theirs)
    other.save()
    on_disk = references_copy.read_bytes()
    with pytest.raises(ConflictError, match="changed on disk.*Reload"):
        lib.save()
    assert references_copy.read_bytes() == on_disk


def test_lock_held_by_another_process_refuses(references_copy, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time, filelock
        with filelock.FileLock({str(references_copy) + '.lock'!r}):
            print('locked', flush=True)
            time.sleep(30)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        lib = Library.load(references_copy)
        lib.lock_timeout = 0.3
        lib.add(Record(key="z1"))
        before = references_copy.read_bytes()
        with pytest.raises(ConflictError, match="lock"):
            lib.save()
        assert references_copy.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()


SAVER = textwrap.dedent("""
    import sys
    from library import Library
    path = sys.argv[1]
    lib = Library.load(path)
    i = 0
    while True:
        rec = lib.get("synth%d" % (i % 50))
        rec.notes = "edit %d " % i + "x" * (i % 7)
        lib.update(rec)
        lib.add(type(rec)(key="added%s_%d" % (sys.argv[2], i), title="t" * 2000))
        print("saving", i, flush=True)
        lib.save()
        i += 1
""")


@pytest.mark.slow
def test_sigkill_during_save_never_leaves_a_partial_file(tmp_path):
    """Kill a process in the middle of its saves, many times: the file is always a complete old or new one."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.synth import write_library

    path = write_library(tmp_path / "big.bib", 1500)
    script = tmp_path / "saver.py"
    script.write_text(SAVER)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    killed_during_save = 0
    for attempt in range(15):
        before = path.read_bytes()
        proc = subprocess.Popen([sys.executable, str(script), str(path), str(attempt)], stdout=subprocess.PIPE, env=env, text=True)
        assert proc.stdout is not None
        saves_to_wait = attempt % 3  # let some saves complete first
        for _ in range(saves_to_wait + 1):
            line = proc.stdout.readline()
            assert line.startswith("saving"), line
        time.sleep((attempt % 5) * 0.004)  # land at different moments inside the save
        proc.kill()
        proc.wait()
        data = path.read_bytes()
        if data != before:
            killed_during_save += 1
        lib = Library.load(path, use_cache=False)  # must parse completely
        assert not lib.malformed(), f"attempt {attempt}: partial file"
        assert data.rstrip().endswith(b"}")
        assert len(lib) >= 1500
    assert killed_during_save < 15  # at least some kills landed before the rename


def test_cache_reopen_matches_fresh_parse_and_sees_external_edits(tmp_path):
    path = tmp_path / "m.bib"
    path.write_bytes(REFERENCES.read_bytes())
    fresh = Library.load(path, use_cache=False).frame()
    Library.load(path)  # writes the cache
    cached = Library.load(path).frame()
    pd.testing.assert_frame_equal(fresh, cached)
    text = path.read_text(encoding="utf-8").replace("{Fang, Fang and", "{Fang, F. and")
    text = text.replace("@article{dreyer2017oil", "% a comment added by hand\n@article{dreyer2017oil")
    path.write_text(text, encoding="utf-8")
    reopened = Library.load(path)
    assert reopened.get("fang2018oil").authors[0] == Author("Fang", "F.")
    row = reopened.frame().set_index("key").loc["dreyer2017oil"]
    assert row["line"] == 2
    pd.testing.assert_frame_equal(reopened.frame(), Library.load(path, use_cache=False).frame())


def test_empty_and_new_library(tmp_path):
    path = tmp_path / "empty.bib"
    path.write_text("")
    lib = Library.load(path)
    assert len(lib) == 0 and len(lib.frame()) == 0 and list(lib.frame().columns)
    new = Library.create(tmp_path / "new.bib")
    new.add(Record(key="a", title="A"))
    new.save()
    assert Library.load(tmp_path / "new.bib").get("a").title == "A"


def test_relations_field_round_trips_and_is_written_in_order(tmp_path):
    from library.model import Relation

    path = tmp_path / "r.bib"
    original = ("@article{erratum2019,\n  title = {Erratum: Oil},\n  relations = {erratum-of smith_2019oil;"
                "  reply-to jones2020},\n  note = {x}\n}\n\n@article{other,\n  title = {Other}\n}\n")
    path.write_text(original, encoding="utf-8")
    lib = Library.load(path, use_cache=False)
    record = lib.get("erratum2019")
    assert record.relations == [Relation("erratum-of", "smith_2019oil"), Relation("reply-to", "jones2020")]
    copy = record.copy()
    copy.relations.append(Relation("comment-on", "x"))
    assert len(record.relations) == 2 and copy != record  # copies own their list; equality compares relations
    lib.save()
    assert path.read_text(encoding="utf-8") == original  # untouched: same bytes
    other = lib.get("other")
    other.relations = [Relation("abstract-of", "smith_2019oil")]
    lib.update(other)
    lib.save()
    text = path.read_text(encoding="utf-8")
    assert text.startswith(original.split("@article{other")[0])
    assert "  relations    = {abstract-of smith_2019oil}," in text  # verbatim: no "\_" in the key
    assert text.index("relations") < text.rindex("modified")  # near provenance, before the dates
    assert Library.load(path, use_cache=False).get("other").relations == other.relations


def test_add_after_an_entry_writes_it_there_and_leaves_the_rest(tmp_path):
    entries = [f"@article{{k{i},\n  title = {{Study {i}}},\n  year = {{2001}}\n}}\n" for i in range(3000)]
    path = tmp_path / "big.bib"
    path.write_text("\n".join(entries))  # several chunks
    lib = Library.load(path, use_cache=False)
    assert lib.preceding("k2000") == "k1999" and lib.preceding("k0") is None
    lib.remove("k1999")
    assert lib.preceding("k2000") == "k1998"  # removed entries are skipped
    lib.add(Record(key="new1", title="After 10"), stamp=False, after="k10")  # anchor in an unchanged chunk
    lib.add(Record(key="new2", title="Also after 10"), stamp=False, after="k10")
    edited = lib.get("k2500")
    edited.title = "Study 2500, edited"
    lib.update(edited)
    lib.add(Record(key="new3", title="After 2500"), stamp=False, after="k2500")  # anchor edited too
    lib.add(Record(key="new4", title="After a removed entry"), stamp=False, after="k1999")
    lib.add(Record(key="new5", title="No such anchor"), stamp=False, after="nope")
    lib.add(Record(key="new6", title="Added, then dropped"), stamp=False, after="k20")
    lib.remove("new6")
    assert len(lib) == 3000 - 1 + 5
    lib.save()
    order = Library.load(path, use_cache=False).keys()
    assert order[9:14] == ["k9", "k10", "new1", "new2", "k11"]
    assert order[order.index("k2500") + 1] == "new3"
    assert order[-2:] == ["new4", "new5"] and "new6" not in order and "k1999" not in order
    text = path.read_text()
    assert text.count("@article{k") == 2999 and "Study 2500, edited" in text
    untouched = [e for i, e in enumerate(entries) if i not in (1999, 2500)]
    assert all(e in text for e in untouched)  # every other entry byte for byte


def test_get_without_keeping_builds_the_same_record_and_keeps_nothing(references_copy):
    lib = Library.load(references_copy)
    key = lib.keys()[3]
    record = lib.get(key, keep=False)
    assert record == Library.load(references_copy).get(key) and lib.kept_count == 0  # nothing kept
    record.title = "edited copy"
    assert lib.get(key, keep=False).title != "edited copy"  # a new object each time
    kept = lib.get(key)
    assert lib.kept_count == 1 and lib.get(key, keep=False) == kept  # a kept record is still served (as a copy)
    kept.title = "changed"
    lib.update(kept)
    assert lib.get(key, keep=False).title == "changed"  # unsaved changes win, as with get()
