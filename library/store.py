"""The library on disk: :class:`Library` loads, edits and saves a .bib file without losing a byte.

Invariants (see DESIGN.md): load + save without changes is byte-identical; an edit rewrites only the edited
entry's lines (in the layout documented in :mod:`library.fields`); comments, ``@string``, ``@preamble``, unknown
fields, field order and malformed blocks are kept verbatim; writes are atomic, serialized by a lock file, and
refused when the file changed on disk since it was loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from . import cache as cache_mod
from .atomic import NotRegular, Snapshot, atomic_write, clean_leftovers, read_snapshot, snapshot_of
from .bibfile import Block, expand_value, render_entry, with_fields_appended
from .errors import BibFileError, ConflictError, InvalidRecordError, KeyExistsError, UnknownKeyError
from .fields import (
    FIELD_ORDER,
    decode_value,
    encode_value,
    fields_as_written,
    key_problem,
    lower_names,
    record_problems,
    record_to_fields,
    storable_entry,
    structured_kept,
    structured_places,
)
from .frame import FRAME_FREE_FIELDS, build_frame, record_row
from .identifiers import validate_identifier
from .index import DIGEST_SIZE, FileIndex, KnownRow, ReusableChunks, build_index, decode_chunk, entry_record
from .model import PackedRecord, Record, pack_record, unpack_record
from .parallel import parallel_known

__all__ = ["Library", "Problem"]

LOCK_TIMEOUT = 30.0
_READ_BACK_FROM = 16 << 20  # bytes of newly rendered text from which a save reads its file back (see save)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something in the file a user must look at; ``line`` is 1-based."""

    line: int
    kind: str  # malformed | duplicate-key | bad-key | invalid-identifier
    message: str
    key: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" ({self.key})" if self.key else "")
        return f"{where}: {self.kind}: {self.message}"


def _read(path: Path) -> tuple[bytes, Snapshot]:
    """The bytes and the identity they were read with, from one open descriptor (see :mod:`library.atomic`)."""
    if not path.exists():
        raise BibFileError(f"{path}: no such file")
    if path.is_dir():
        raise BibFileError(f"{path}: is a directory, not a .bib file")
    try:
        return read_snapshot(path)
    except NotRegular as exc:
        raise BibFileError(f"{path}: is {exc.kind}, not a .bib file") from exc
    except OSError as exc:
        raise BibFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _target(path: Path) -> Path:
    """Where a save writes: the file a symlink points to (the link itself stays a link)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _file_digest(data: bytes) -> bytes:
    return hashlib.sha1(data, usedforsecurity=False).digest()


_ORDER = {name: i for i, name in enumerate(FIELD_ORDER)}


def _rank(name: str) -> int:
    """Position in the documented field order; unknown fields sort last."""
    return _ORDER.get(name, len(_ORDER))


def _today() -> str:
    return sys.intern(dt.date.today().isoformat())  # one string for the records stamped today, not one each


def _check(record: Record, key: bool = True) -> None:
    found = record_problems(record, check_key=key)
    if found:
        raise InvalidRecordError(f"record {record.key!r}: " + "; ".join(found))


_ENCODED_AS_IS = re.compile(r"[a-z0-9 .:+]*(?:-[a-z0-9 .:+]+)*-?")  # no "--" and nothing encode_value escapes


def _stored_text(name: str, value: str) -> str:
    """:func:`encode_value` (a slug: nothing to escape, no call)."""
    return value if _ENCODED_AS_IS.fullmatch(value) else encode_value(name, value)


def _expanded(raw: str, macros: dict[str, str]) -> str:
    """A raw value's text, as :func:`library.index.entry_record` reads it."""
    return raw[1:-1] if raw[:1] == "{" and raw[-1:] == "}" and "#" not in raw else expand_value(raw, macros)


def _new_entry(record: Record) -> str:
    """The BibTeX text of a record that has no entry in the file yet."""
    fields = [(name, "{" + value + "}") for name, value in record_to_fields(record).items()]
    return render_entry(record.entry_type, record.key, fields)


def _new_entries(records: Iterable[PackedRecord], first: bool, group: int = 1000) -> Iterator[bytes]:
    """The text of records added at the end of the file: an entry and a blank line between entries, each line
    ending in a newline; ``group`` entries to a piece (a million pieces would double the memory of a save)."""
    texts: list[str] = []
    for packed in records:
        texts.append(("" if first else "\n") + _new_entry(unpack_record(packed)) + "\n")
        first = False
        if len(texts) == group:
            yield "".join(texts).encode("utf-8")
            texts = []
    if texts:
        yield "".join(texts).encode("utf-8")


class Library:
    """A BibTeX library file with a record API and a pandas view.

    Records are materialized lazily: opening a 100k-record file from the cache creates no Record objects.
    """

    def __init__(self, path: Path, index: FileIndex, snapshot: Snapshot | None, digest: bytes) -> None:
        self.path = path
        self._index_value = index
        self._saved_data: bytes | None = None  # written by save(), indexed on first use (CLI commands exit first)
        self._saved_rows: dict[str, KnownRow] = {}  # entries of the save whose frame row is the old one
        self._rendering_rows: dict[str, KnownRow] | None = None
        self._snapshot = snapshot
        self._digest_value: bytes | None = digest
        self._digest_of = b""
        self._changes: dict[int, Record | None] = {}  # row -> new record, or None when removed
        self._added: dict[str, PackedRecord] = {}  # packed: a million added records fit in memory
        self._after: dict[str, int] = {}  # added key -> row of the entry it is written after (else at the end)
        self._records: dict[int, Record] = {}
        self._fields: dict[int, dict[str, str]] = {}  # row -> bookkeeping fields set on its stored record
        self._saved_blocks: dict[bytes, list[Block]] = {}  # chunk digest -> blocks, of chunks a save wrote
        self._saving_blocks: dict[bytes, list[Block]] | None = None
        self.lock_timeout = LOCK_TIMEOUT
        self._reindex()

    @property
    def _digest(self) -> bytes:
        if self._digest_value is None:
            self._digest_value = _file_digest(self._digest_of)
            self._digest_of = b""
        return self._digest_value

    # --- loading --------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str], use_cache: bool = True,
             progress: Callable[[int, int], None] | None = None) -> Library:
        path = Path(path)
        data, snapshot = _read(path)
        digest = _file_digest(data)
        cached = cache_mod.load_cache(path) if use_cache else None
        if cached is not None and cached[0] == digest:
            index = cached[1]
            index.data = data
        else:
            known = (ReusableChunks.of(cached[1]) if cached is not None
                     else parallel_known(data, str(path), progress=progress))
            index = build_index(data, str(path), known, progress=progress)
            if use_cache:
                cache_mod.save_cache(path, digest, index)
        return cls(path, index, snapshot, digest)

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> Library:
        """A new, empty library that will be written to ``path`` on save (refused if the file exists then)."""
        path = Path(path)
        return cls(path, build_index(b"", str(path)), None, b"")

    def _reindex(self) -> None:
        keys_of: dict[str, int] = {}
        duplicates: list[int] = []
        for row, key in enumerate(self._index_value.table.column("key").to_pylist()):
            if key in keys_of:
                duplicates.append(row)
            else:
                keys_of[key] = row
        self._keys_value, self._duplicates_value = keys_of, duplicates
        self._frame_cache: pd.DataFrame | None = None

    def _refresh(self) -> None:
        """Index the bytes of the last save, reusing every unchanged chunk of the previous index."""
        data, self._saved_data = self._saved_data, None
        rows, self._saved_rows = self._saved_rows, {}
        blocks, self._saved_blocks = self._saved_blocks, {}
        if data is not None:
            self._index_value = build_index(data, str(self.path), ReusableChunks.of(self._index_value), rows=rows,
                                            blocks=blocks)
            self._reindex()

    @property
    def _index(self) -> FileIndex:
        if self._saved_data is not None:
            self._refresh()
        return self._index_value

    @property
    def kept_count(self) -> int:
        """How many records ``get`` has built and keeps in memory (the rest are read from the file's bytes)."""
        return len(self._records)

    @property
    def file_index(self) -> FileIndex:
        """The index of the file's bytes as last read or saved (read-only: blocks, rows, macros)."""
        return self._index

    @property
    def _keys(self) -> dict[str, int]:
        if self._saved_data is not None:
            self._refresh()
        return self._keys_value

    @property
    def _duplicates(self) -> list[int]:
        if self._saved_data is not None:
            self._refresh()
        return self._duplicates_value

    # --- reading --------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        removed = sum(1 for v in self._changes.values() if v is None)
        return len(self._keys) - removed + len(self._added)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key in self._added:
            return True
        row = self._keys.get(key)
        return row is not None and not (row in self._changes and self._changes[row] is None)

    def keys(self) -> list[str]:
        out = [k for k, row in self._keys.items() if not (row in self._changes and self._changes[row] is None)]
        return out + list(self._added)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def _block(self, row: int) -> Block:
        index = self._index
        c, b = index.entry_ref(row)
        return index.blocks(c)[b]

    def _stored(self, row: int) -> Record:
        record = self._records.get(row)
        if record is None:
            record = entry_record(self._block(row), self._index.macros)
            self._records[row] = record
        return record

    def get(self, key: str, *, keep: bool = True) -> Record:
        """A copy of the record (edit it, then pass it to :meth:`update`). ``keep=False`` does not keep the record
        built from the file for later calls: for one pass over many records (an import), where keeping them all
        would double the memory of a large library."""
        if key in self._added:
            return unpack_record(self._added[key])
        row = self._keys.get(key)
        if row is None or (row in self._changes and self._changes[row] is None):
            raise UnknownKeyError(f"no record with key {key!r} in {self.path}")
        changed = self._changes.get(row)
        if changed is not None:
            return changed.copy()
        kept = self._records.get(row)
        if kept is None and not keep:
            record = entry_record(self._block(row), self._index.macros)  # a new object: no copy needed
        else:
            record = self._stored(row).copy()
        if row in self._fields:
            record.extra.update(self._fields[row])
        return record

    def records(self) -> Iterator[Record]:
        """Every record in file order, then added ones (copies)."""
        for key in self.keys():
            yield self.get(key)

    def entry_digests(self) -> dict[str, bytes]:
        """key -> an identity of the stored text of the record: its chunk's SHA-1, its place in the chunk and the
        first 8 bytes of the SHA-1 of the file's ``@string`` macros (32 bytes), for callers that redo work only
        for changed records (``reflib publish``). Made in numpy for all rows at once (no hashing per record).
        Records edited or added since the load have no stored text and are left out: save first."""
        index = self._index
        macros = hashlib.sha1(repr(sorted(index.macros.items())).encode()).digest()[:8]
        if self._changes or self._fields:  # records with pending edits or fields have no stored text yet
            keys = [k for k, row in self._keys.items() if row not in self._changes and row not in self._fields]
            rows = np.fromiter((self._keys[k] for k in keys), dtype=np.int64, count=len(keys))
        else:
            keys = list(self._keys)
            rows = np.fromiter(self._keys.values(), dtype=np.int64, count=len(keys))
        refs = index.entry_refs[rows]
        chunk_digests = np.frombuffer(index.chunks.digests, dtype=np.uint8).reshape(-1, DIGEST_SIZE)
        out = np.empty((len(keys), DIGEST_SIZE + 12), dtype=np.uint8)
        out[:, :DIGEST_SIZE] = chunk_digests[refs[:, 0]]
        out[:, DIGEST_SIZE:DIGEST_SIZE + 4] = refs[:, 1].astype("<u4").view(np.uint8).reshape(-1, 4)
        out[:, DIGEST_SIZE + 4:] = np.frombuffer(macros, dtype=np.uint8)
        blob, width = out.tobytes(), DIGEST_SIZE + 12
        return dict(zip(keys, [blob[i:i + width] for i in range(0, len(blob), width)], strict=True))

    def frame(self) -> pd.DataFrame:
        """The pandas view (see :mod:`library.frame` for the columns); cached until the next edit."""
        if self._frame_cache is not None:
            return self._frame_cache
        rows = self._index.rows
        drop = set(self._duplicates) | {r for r, v in self._changes.items() if v is None}
        edited = {r: v for r, v in self._changes.items() if v is not None}
        frame = rows
        if drop or edited:
            fresh = build_frame([record_row(rec) for rec in edited.values()])
            fresh["line"] = pd.array([rows.at[r, "line"] for r in edited], dtype="Int64")
            slot = {r: len(rows) + j for j, r in enumerate(edited)}
            positions = [slot.get(r, r) for r in range(len(rows)) if r not in drop]
            combined = pd.concat([rows, fresh], ignore_index=True) if edited else rows
            frame = combined.take(positions).reset_index(drop=True)
        if self._added:
            added = build_frame([record_row(unpack_record(packed)) for packed in self._added.values()])
            frame = pd.concat([frame, added], ignore_index=True)
        self._frame_cache = frame
        return frame

    def problems(self, identifiers: bool = True) -> list[Problem]:
        """Malformed blocks and duplicate keys (with lines), and (optionally) invalid identifiers of every record."""
        found: list[Problem] = []
        for line, block in self._index.malformed():
            found.append(Problem(line, "malformed", block.error or "syntax error"))
        for row in self._duplicates:
            block = self._block(row)
            first = self._index.rows.at[self._keys[block.key], "line"]
            c = int(self._index.entry_refs[row][0])
            found.append(Problem(self._index.line(c) + block.line + 1, "duplicate-key",
                                 f"key {block.key!r} already used at line {first}; this copy is kept but ignored",
                                 block.key))
        found.extend(self._key_problems())
        if identifiers:
            found.extend(self._identifier_problems())
        return sorted(found, key=lambda p: p.line)

    def _key_problems(self) -> list[Problem]:
        """Empty keys (``@article{,``) and keys no BibTeX tool reads as written."""
        rows = self._index.rows
        found = []
        for key, line in zip(rows["key"].tolist(), rows["line"].tolist(), strict=True):
            message = key_problem(key)
            if message:
                found.append(Problem(int(line) if line is not None and line is not pd.NA else 0, "bad-key",
                                     message, key))
        return found

    def _identifier_problems(self) -> list[Problem]:
        """Checked on the frame's columns: no Record is built, so this stays fast on 100k records."""
        frame = self.frame()
        found = []
        lines = frame["line"].tolist()
        keys = frame["key"].tolist()
        for kind in ("doi", "pmid", "pmcid"):
            for i, value in enumerate(frame[kind].tolist()):
                if value:
                    message = validate_identifier(kind, value)
                    if message:
                        found.append(Problem(lines[i] if lines[i] is not pd.NA and lines[i] is not None else 0,
                                             "invalid-identifier", message, keys[i]))
        return found

    def malformed(self) -> list[Problem]:
        return [p for p in self.problems(identifiers=False) if p.kind in ("malformed", "duplicate-key")]

    # --- editing --------------------------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return bool(self._changes or self._added or self._fields)

    def add(self, record: Record, stamp: bool = True, after: str | None = None) -> Record:
        """Add a new record; ``added`` is stamped with today's date unless it has one (or ``stamp`` is False:
        a record put back as it was, by dedupe's undo). It is written at the end of the file, or right after the
        entry ``after`` when that entry is in the file as loaded and not removed (dedupe's undo puts a copy
        back where it was)."""
        _check(record)
        if record.key in self:
            raise KeyExistsError(f"key {record.key!r} is already in {self.path}")
        stored = record
        if stamp and not record.added:
            stored = record.copy()
            stored.added = _today()
        row = self._keys.get(record.key)
        if row is not None:  # re-adding a key removed in this session: an update of that entry
            stored = stored.copy() if stored is record else stored
            self._changes[row] = stored
            self._frame_cache = None
            return stored.copy()
        packed = self._added[record.key] = pack_record(stored)
        anchor = self._keys.get(after) if after is not None else None
        if anchor is not None and not (anchor in self._changes and self._changes[anchor] is None):
            self._after[record.key] = anchor
        self._frame_cache = None
        return unpack_record(packed) if stored is record else stored

    def preceding(self, key: str) -> str | None:
        """The key of the nearest entry before ``key``'s in the file that is not removed; None for the first
        entry or a record added in this session."""
        row = self._keys.get(key)
        if row is None or key in self._added:
            return None
        column = self._index.table.column("key")
        for before in range(row - 1, -1, -1):
            if before in self._changes and self._changes[before] is None:
                continue
            found = column[before].as_py()
            if self._keys.get(found) == before:  # not a later duplicate of a key
                return str(found)
        return None

    def update(self, record: Record) -> None:
        """Replace the record with the same key; stamps ``modified`` when something changed."""
        current = self.get(record.key)  # raises UnknownKeyError
        if record == current:
            return
        _check(record, key=False)  # a key already in the file reads back: it stays usable
        stored = record.copy()
        if stored.modified == current.modified:
            stored.modified = _today()
        if record.key in self._added:
            self._added[record.key] = pack_record(stored)
        else:
            row = self._keys[record.key]
            self._changes[row] = stored
            self._fields.pop(row, None)
        self._frame_cache = None

    def update_many(self, records: Iterable[Record], *, stamp: bool = True) -> int:
        """Store many edited records at once (a bulk edit: ``reflib publish`` storing 100k new slugs). Unlike
        :meth:`update`, the records are not compared with their stored versions or copied: pass records from
        :meth:`get` that the caller changed and no longer edits. ``stamp=False`` keeps ``modified`` as it is (for
        bookkeeping fields that do not change the study). Returns how many were stored."""
        today = _today()
        count = 0
        for record in records:
            _check(record, key=False)
            if stamp:
                record.modified = today
            if record.key in self._added:
                self._added[record.key] = pack_record(record)
            else:
                row = self._keys.get(record.key)
                if row is None or (row in self._changes and self._changes[row] is None):
                    raise UnknownKeyError(f"no record with key {record.key!r} in {self.path}")
                self._changes[row] = record
                self._records.pop(row, None)
                self._fields.pop(row, None)
            count += 1
        if count:
            self._frame_cache = None
        return count

    def set_fields(self, values: Mapping[str, Mapping[str, str]]) -> int:
        """Set bookkeeping fields (those no frame column reads: ``slug``, ``slug_old``) of records, ``{key:
        {field: value}}``: the same as getting each record, setting these fields in its ``extra`` and storing it
        with ``update_many(stamp=False)`` (``reflib publish`` storing 100k new slugs), without building the
        records of unedited entries. At save, such an entry whose text is in the documented layout and whose
        every field is written back as it is gets the new fields appended to its text (the same bytes as a
        re-render; see :func:`library.fields.stored_as_written`); any other is rendered in full. Returns how many
        records were given fields."""
        count = 0
        keys, added, changes, given = self._keys, self._added, self._changes, self._fields
        for key, fields in values.items():
            if not fields:
                continue
            if not FRAME_FREE_FIELDS.issuperset(fields):
                raise ValueError(f"not bookkeeping fields: {sorted(set(fields) - FRAME_FREE_FIELDS)}")
            row = keys.get(key)
            if key in added or (row is not None and changes.get(row) is not None):
                record = self.get(key)
                record.extra.update(fields)
                self.update_many([record], stamp=False)
            elif row is None or row in changes:
                raise UnknownKeyError(f"no record with key {key!r} in {self.path}")
            else:
                block = self._block(row)
                if not storable_entry(block.entry_type, tuple([name for name, _ in block.fields])):
                    _check(self.get(key), key=False)  # raises what update_many would
                known = given.get(row)
                if known is None:
                    given[row] = dict(fields)
                else:
                    known.update(fields)
            count += 1
        return count

    def remove(self, key: str) -> Record:
        record = self.get(key)
        if key in self._added:
            del self._added[key]
            self._after.pop(key, None)
        else:
            self._changes[self._keys[key]] = None
            self._fields.pop(self._keys[key], None)
        self._frame_cache = None
        return record

    def revert(self, key: str) -> None:
        """Drop the unsaved changes of one key: an edited or removed entry gets its loaded version back, a key
        added in this session disappears; a no-op for an unchanged key (used by dedupe's undo)."""
        self._added.pop(key, None)
        self._after.pop(key, None)
        row = self._keys.get(key)
        if row is not None:
            self._changes.pop(row, None)
            self._fields.pop(row, None)
        self._frame_cache = None

    def discard_changes(self) -> None:
        self._changes.clear()
        self._fields.clear()
        self._added.clear()
        self._after.clear()
        self._frame_cache = None

    # --- saving ---------------------------------------------------------------------------------------------
    def _render_changed(self, record: Record, block: Block, row: int) -> str:
        new = record_to_fields(record)
        out: list[tuple[str, str]] = []
        touched: set[str] = set()  # fields whose text changed, or that were dropped or added
        for name, raw in block.fields:
            lname = name.lower()
            if lname not in new:
                touched.add(lname)
                continue
            value = new.pop(lname)
            if raw == "{" + value + "}":  # the same text: no need to compare decoded values
                out.append((name, raw))
                continue
            old = decode_value(lname, expand_value(raw, self._index.macros))
            if old == decode_value(lname, value):
                out.append((name, raw))
            else:
                out.append((name, "{" + value + "}"))
                touched.add(lname)
        touched.update(new)
        for name, value in new.items():  # new fields go where the documented order puts them
            rank = _rank(name)
            position = len(out)
            for i in range(len(out) - 1, -1, -1):
                existing = _rank(out[i][0].lower())
                if existing <= rank:
                    position = i + 1
                    break
                position = i
            out.insert(position, (name, "{" + value + "}"))
        entry_type = record.entry_type or block.entry_type
        if (self._rendering_rows is not None and touched <= FRAME_FREE_FIELDS and record.key == block.key
                and entry_type.lower() == block.entry_type.lower()):
            # only bookkeeping fields changed (``reflib publish`` storing slugs): when the saved file is indexed,
            # an entry with exactly these fields keeps this row instead of being parsed into a record again
            self._rendering_rows[record.key] = KnownRow(row, entry_type, tuple(out))
        return render_entry(entry_type, record.key, out)

    def _appended(self, text: str, block: Block, row: int, values: dict[str, str]) -> tuple[str, Block] | None:
        """The text of a stored entry given bookkeeping fields (:meth:`set_fields`) that a re-render would write
        as its text with the new fields appended, and the block it parses into; None when that is not sure."""
        names = lower_names(tuple([name for name, _ in block.fields]))
        if names is None or not values.keys().isdisjoint(names):
            return None
        added = [(name, "{" + stored + "}") for name, value in values.items()
                 if (stored := _stored_text(name, value)).strip()]
        if not added:
            return None
        macros = self._index.macros
        plain = block.plain  # known when the record was read from this block (publish reads every record)
        if plain:  # every value plain: only the structured ones (names, lists, numbers) are looked at again
            fields = block.fields
            kept = structured_kept(names, {i: _expanded(fields[i][1], macros) for i in structured_places(names)})
        else:
            kept = fields_as_written(names, [_expanded(raw, macros) for _, raw in block.fields], plain)
        if not kept:  # every field kept as written by a re-render
            return None
        entry_type = block.entry_type.lower()
        found = with_fields_appended(text, block, entry_type, added)
        if found is not None and self._rendering_rows is not None:  # as _render_changed: only bookkeeping fields
            self._rendering_rows[block.key] = KnownRow(row, entry_type, tuple(found[1].fields))
        return found

    def _render_chunk(self, c: int, rows: dict[int, Record | None], inserts: dict[int, list[Record]],
                      fields: dict[int, tuple[int, dict[str, str]]]) -> bytes:
        """The new text of chunk ``c``: ``rows`` edited or removed, ``inserts`` added after an entry, ``fields``
        (row -> (block in the chunk, bookkeeping fields)) given to stored entries."""
        start, end = self._index.span(c)
        text = decode_chunk(self._index.data, start, end, str(self.path))
        blocks = self._index.blocks(c)
        if not rows and not inserts and len(blocks) == 1 and len(fields) == 1:  # one entry given fields
            return self._render_alone(text, blocks[0], *next(iter(fields.items())))
        refs = self._index.entry_refs
        by_block = {int(refs[r][1]): (r, rec) for r, rec in rows.items()}
        after_block = {int(refs[r][1]): records for r, records in inserts.items()}
        given = {b: (r, values) for r, (b, values) in fields.items()}
        # the blocks of the new text, when only appended fields changed it (else it is parsed when indexed)
        known: list[Block] | None = [] if self._saving_blocks is not None and not rows and not inserts else None
        shift = lines = 0
        pieces, last = [], 0
        for b, block in enumerate(blocks):
            if b in given:
                row, values = given[b]
                appended = self._appended(text, block, row, values)
                pieces.append(text[last : block.start])
                last = block.end
                if appended is None:
                    record = entry_record(block, self._index.macros)
                    record.extra.update(values)
                    pieces.append(self._render_changed(record, block, row))
                    known = None
                else:
                    new, new_block = appended
                    pieces.append(new)
                    if known is not None:
                        new_block.start += shift
                        new_block.end += shift
                        new_block.line += lines
                        known.append(new_block)
                        size = block.end - block.start
                        shift += len(new) - size
                        lines += new.count("\n", size - 2) - 1  # the lines added before the closing one
                continue
            if known is not None:
                if block.kind == "malformed":
                    known = None
                else:
                    known.append(Block(block.kind, block.start + shift, block.end + shift, block.line + lines,
                                       block.key, block.entry_type, block.fields, block.error))
            if b in by_block:
                pieces.append(text[last : block.start])
                last = block.end
                row, rec = by_block[b]
                if rec is None:
                    while last < len(text) and text[last] in "\r\n":  # drop the blank line it leaves
                        last += 1
                else:
                    pieces.append(self._render_changed(rec, block, row))
            if b in after_block:  # entries to write right after this one (never a removed one: see render)
                pieces.append(text[last : block.end])
                last = max(last, block.end)
                pieces.extend("\n\n" + _new_entry(record) for record in after_block[b])
        pieces.append(text[last:])
        data = "".join(pieces).encode("utf-8")
        if known is not None and self._saving_blocks is not None:
            self._saving_blocks[hashlib.sha1(data, usedforsecurity=False).digest()] = known
        return data

    def _render_alone(self, text: str, block: Block, row: int, given: tuple[int, dict[str, str]]) -> bytes:
        """:meth:`_render_chunk` of a chunk whose only block is an entry given bookkeeping fields (the common
        case: one entry to a chunk)."""
        values = given[1]
        appended = self._appended(text, block, row, values)
        if appended is None:
            record = entry_record(block, self._index.macros)
            record.extra.update(values)
            data = (text[:block.start] + self._render_changed(record, block, row) + text[block.end:]).encode()
        else:
            new, new_block = appended
            data = (text[:block.start] + new + text[block.end:]).encode()
            if self._saving_blocks is not None:
                self._saving_blocks[hashlib.sha1(data, usedforsecurity=False).digest()] = [new_block]
        return data

    def render(self) -> list[bytes | memoryview]:
        """The bytes the file will have after :meth:`save`, in pieces (unchanged stretches are views, not copies)."""
        data = self._index.data
        by_chunk: dict[int, dict[int, Record | None]] = {}
        for row, record in self._changes.items():
            by_chunk.setdefault(int(self._index.entry_refs[row][0]), {})[row] = record
        given: dict[int, dict[int, tuple[int, dict[str, str]]]] = {}
        if self._fields:
            refs = self._index.entry_refs.tolist()  # (one list, not a numpy scalar per row)
            for row, values in self._fields.items():
                c, b = refs[row]
                given.setdefault(c, {})[row] = (b, values)
        inserts: dict[int, dict[int, list[Record]]] = {}
        placed: set[str] = set()
        for key, row in self._after.items():
            if not (row in self._changes and self._changes[row] is None):
                inserts.setdefault(int(self._index.entry_refs[row][0]), {}).setdefault(row, []).append(
                    unpack_record(self._added[key]))
                placed.add(key)
        pieces: list[bytes | memoryview] = []
        view = memoryview(data)
        position = 0
        none: dict[int, Any] = {}  # (read only)
        for c in sorted(by_chunk.keys() | inserts.keys() | given.keys()):
            start, end = self._index.span(c)
            if start > position:
                pieces.append(view[position:start])
            pieces.append(self._render_chunk(c, by_chunk.get(c, none), inserts.get(c, none), given.get(c, none)))
            position = end
        pieces.append(view[position:])
        at_end = (packed for key, packed in self._added.items() if key not in placed)
        if len(placed) < len(self._added):
            if data and not data.endswith(b"\n"):
                pieces.append(b"\n")
            pieces.extend(_new_entries(at_end, first=not data))
        return [p for p in pieces if p]

    def _check_unchanged_on_disk(self, target: Path) -> None:
        """Under the lock. The same identity (inode, size, times) as read means the same bytes: every reflib
        save makes a new inode and the snapshot keeps the old one taken. A different identity is compared by
        content (a ``touch`` or a copy of the same bytes is no conflict)."""
        try:
            stat = target.stat()
        except FileNotFoundError:
            stat = None
        if self._snapshot is None:
            if stat is not None:
                raise ConflictError(f"{self.path}: a file was created there since this library was opened; "
                                    "reload it (your changes are not saved) or save elsewhere")
            return
        if stat is None:
            raise ConflictError(f"{self.path}: the file was deleted since it was loaded; not saving over nothing "
                                "- restore it or reload")
        if self._snapshot.same(stat):
            return
        try:
            data, _ = read_snapshot(target)
        except OSError as exc:
            raise ConflictError(f"{self.path}: cannot read it back before saving ({exc})") from exc
        if _file_digest(data) != self._digest:
            raise ConflictError(
                f"{self.path} changed on disk since it was loaded (someone else saved it); your changes were "
                "not saved. Reload the library and apply your edit again.")

    def save(self) -> bool:
        """Write pending changes atomically; returns False when there was nothing to write.

        A symlinked library file is written through to its target (the lock is taken beside the target too);
        temp files of killed saves are removed (see :mod:`library.atomic`)."""
        if not self.dirty:
            return False
        target = _target(self.path)
        lock_path = str(target) + ".lock"
        lock = FileLock(lock_path, timeout=self.lock_timeout)
        try:
            lock.acquire()
        except Timeout as exc:  # only the wait for the lock: a save that went through is never reported refused
            raise ConflictError(f"{self.path}: another reflib process holds the lock {lock.lock_file}; "
                                "try again when it has finished") from exc
        try:
            self._check_unchanged_on_disk(target)
            clean_leftovers(target)
            self._rendering_rows, self._saving_blocks = {}, {}
            pieces = self.render()
            rows, self._rendering_rows = self._rendering_rows, None
            blocks, self._saving_blocks = self._saving_blocks, None
            if sum(len(p) for p in pieces if isinstance(p, bytes)) > _READ_BACK_FROM:
                # much new text (an import of many records): written piece by piece and read back, so that
                # the new bytes are never held twice
                atomic_write(target, pieces)
                del pieces
                snapshot = snapshot_of(target)
                data = snapshot.read()
            else:  # mostly views of the loaded bytes: joining them is cheaper than reading the file back
                data = b"".join(pieces)
                del pieces
                atomic_write(target, [data])
                snapshot = snapshot_of(target)
        finally:
            self._rendering_rows = self._saving_blocks = None
            lock.release()
        if self._snapshot is not None:
            self._snapshot.close()
        self._saved_data = data  # indexed lazily; the next load refreshes the on-disk cache
        self._saved_rows = rows
        self._saved_blocks = blocks
        self._snapshot = snapshot
        self._digest_value, self._digest_of = None, data  # hashed only if a later save must compare
        self._changes.clear()
        self._fields.clear()
        self._added.clear()
        self._after.clear()
        self._records.clear()
        self._frame_cache = None
        return True
