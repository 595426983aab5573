"""Every value the store writes reads back: property-based round trips through Library.add/update/save/load.

The one normalization the store applies is documented in :func:`library.fields.encode_value`: runs of white space
become one space (leading and trailing space goes) and control characters other than tab and newline are dropped.
``canonical`` below states that rule independently of the store's code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from library import Library
from library.errors import InvalidRecordError
from library.model import Record

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

TEXT_FIELDS = ("title", "journal", "publisher", "volume", "issue", "pages", "doi", "pmid", "url", "urldate",
               "language", "note", "abstract", "notes", "booktitle", "isbn", "issn", "level_reason", "grade")
# (private-use code points included: the LaTeX decoder's placeholders are lone surrogates, which no value holds)
text = st.text(st.characters(exclude_categories=("Cs", "Zs", "Zl", "Zp")), max_size=40)
tricky = st.sampled_from(["\ue000", "\ue007\ue008",
                          "\\", "{", "}", "\\}", "{\\", "@misc{x,", "\n@article{evil,\n", "%", "#", "--", "~",
                          "$", "_", "\x1b[2J", "\x00", "\u200b", '"', "'", "`", "^", "&"])
values = st.lists(st.one_of(text, tricky), min_size=1, max_size=4).map("".join)
keys = st.text(st.characters(codec="ascii", exclude_characters=' \t\n\r\x0b\x0c,{}()"=#%\\',
                             exclude_categories=("Cc",)), min_size=1, max_size=20)
field_names = st.from_regex(r"x[a-z0-9_]{0,10}", fullmatch=True)

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def canonical(value: str) -> str:
    return re.sub(r"[ \t\n\r]+", " ", _CONTROL.sub("", value)).strip(" ")


@st.composite
def records(draw: st.DrawFn) -> Record:
    record = Record(key=draw(keys), entry_type=draw(st.sampled_from(["article", "book", "online", "misc_x"])))
    for name in draw(st.lists(st.sampled_from(TEXT_FIELDS), unique=True, max_size=6)):
        setattr(record, "journal_abbrev" if name == "shortjournal" else name, draw(values))
    record.extra = draw(st.dictionaries(field_names, values, max_size=3))
    record.added = "2024-01-01"
    return record


def expected(record: Record, name: str) -> str:
    return canonical(getattr(record, name))


@pytest.mark.slow  # about a second or more: run by make test, not make unit
@SETTINGS
@given(record=records(), edit=values)
def test_add_update_save_load_round_trip(tmp_path: Path, record: Record, edit: str) -> None:
    path = tmp_path / "lib.bib"
    path.unlink(missing_ok=True)
    lib = Library.create(path)
    lib.add(record)
    lib.add(Record(key="neighbour", title="Stays as it is"))
    lib.save()
    loaded = Library.load(path, use_cache=False)
    assert sorted(loaded.keys()) == sorted([record.key, "neighbour"])
    assert loaded.malformed() == []
    back = loaded.get(record.key)
    assert back.entry_type == record.entry_type
    for name in TEXT_FIELDS:
        assert getattr(back, name) == expected(record, name), name
    assert dict(back.extra) == {k: canonical(v) for k, v in record.extra.items()
                                 if canonical(v)}
    back.notes = edit
    loaded.update(back)
    loaded.save()
    again = Library.load(path, use_cache=False)
    assert again.get(record.key).notes == canonical(edit)
    assert again.get("neighbour").title == "Stays as it is"
    assert len(again) == 2


@pytest.mark.parametrize("key", ["", "k}\n@misc{evil", "a,b", "a=b", "tab\there", "sp ace", "x%y", "ctl\x1b"])
def test_keys_that_cannot_read_back_are_refused(tmp_path: Path, key: str) -> None:
    lib = Library.create(tmp_path / "lib.bib")
    with pytest.raises(InvalidRecordError, match="key"):
        lib.add(Record(key=key, title="t"))
    assert not lib.dirty


@pytest.mark.parametrize("entry_type", ["", "comment", "string", "preamble", "my type", "art{icle", "Article"])
def test_entry_types_are_checked(tmp_path: Path, entry_type: str) -> None:
    lib = Library.create(tmp_path / "lib.bib")
    with pytest.raises(InvalidRecordError, match="entry type"):
        lib.add(Record(key="k", entry_type=entry_type, title="t"))


@pytest.mark.parametrize("name", ["Title2", "a b", "x}y", "", "title", "author"])
def test_extra_field_names_are_checked(tmp_path: Path, name: str) -> None:
    lib = Library.create(tmp_path / "lib.bib")
    record = Record(key="k", title="t")
    record.extra = {name: "value"}
    with pytest.raises(InvalidRecordError, match="field name"):
        lib.add(record)


def test_trailing_backslash_url_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "lib.bib"
    lib = Library.create(path)
    lib.add(Record(key="a", title="A", url="http://example.org/path\\", pages="1\\"))
    lib.add(Record(key="b", title="B"))
    lib.save()
    loaded = Library.load(path, use_cache=False)
    assert loaded.get("a").url == "http://example.org/path\\"
    assert loaded.get("a").pages == "1\\"
    assert loaded.keys() == ["a", "b"] and loaded.malformed() == []


def test_many_lines_starting_with_at_stay_in_their_record(tmp_path: Path) -> None:
    path = tmp_path / "lib.bib"
    lines = "\n".join(f"@someone{i} said so" for i in range(40))
    path.write_text("@article{a,\n  title = {A},\n  notes = {" + lines + "}\n}\n\n@article{b,\n  title = {B}\n}\n")
    lib = Library.load(path, use_cache=False)
    assert lib.keys() == ["a", "b"] and lib.malformed() == []
    assert lib.get("a").notes.count("@someone") == 40
    record = lib.get("a")
    record.notes = "\n".join(f"@misc{{x{i}," for i in range(12))
    lib.update(record)
    lib.save()
    again = Library.load(path, use_cache=False)
    assert again.keys() == ["a", "b"] and again.malformed() == []
    assert again.get("a").notes.count("@misc{") == 12
