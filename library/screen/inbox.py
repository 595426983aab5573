"""The screening inbox: a SQLite database beside the library (``references.bib`` -> ``references.inbox.sqlite``).

New records from searches and imports wait here until an editor includes (the record moves into the library),
excludes (with a reason) or marks them "maybe". Why SQLite: several editors screen at once (WAL mode, short
write transactions, a busy timeout), and 100,000 waiting records stay fast to page through.

Schema (``PRAGMA user_version`` holds its version; older files are migrated in place, a newer one is refused):

* ``records``: one row per waiting or screened record: the record itself (BibTeX type and fields, JSON), title
  and abstract for display and ranking, identifiers for duplicate checks, where it came from (``source``: saved
  search or file, ``query``, ``added``), the topics / entry link an include gives it, and its ``state``
  (open | included | excluded | maybe | conflict) with the library key once included.
* ``decisions``: every decision ever made (record, reviewer, decision, reason, note, time); the newest one of
  each reviewer counts, older ones stay as history, so a decision can be changed and undone.
* ``identified`` (version 2): per search run or import, how many records the source gave, how many were
  duplicates of the library or the inbox and how many were added: the top of the PRISMA flow.
* version 3: each identification run records the encyclopedia entry it was for (``identified.entry``; NULL for
  none) and the schema version it was logged under (``identified.logged``), and each record the run that added
  it (``records.run``). Runs and records from before version 3 keep ``logged`` 2 and ``run`` NULL: their entry is
  not known (the PRISMA flow of an entry says how it counts them, :func:`library.screen.prisma.flow`).
  ``records.source_key`` is the record's citation key in its source (a ``.bib`` file's ``Dreyer2017``; '' for
  none and for records added before version 3): an include hands it to the importer as a direct import does.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LibraryError
from ..fields import decode_value, record_from_fields, record_to_fields, split_list
from ..model import Record, RecordList
from ..names import parse_bibtex_names

__all__ = ["DECISIONS", "DEFAULT_REASONS", "SCHEMA_VERSION", "Inbox", "InboxError", "InboxRecord", "agreement",
           "cohen_kappa", "inbox_path", "kappa_text", "reviewer_agreement"]

SCHEMA_VERSION = 3
DECISIONS = ("include", "exclude", "maybe")
DEFAULT_REASONS = ("wrong population", "wrong intervention", "wrong comparator", "wrong outcome", "wrong design",
                   "animal study", "not about the topic", "duplicate", "not a research article", "other")

_V1 = """
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    entry_type TEXT NOT NULL,
    fields TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    abstract TEXT NOT NULL DEFAULT '',
    doi TEXT NOT NULL DEFAULT '',
    pmid TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    query TEXT NOT NULL DEFAULT '',
    added TEXT NOT NULL,
    topics TEXT NOT NULL DEFAULT '[]',
    entry TEXT,
    link_kind TEXT,
    state TEXT NOT NULL DEFAULT 'open',
    library_key TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX records_state ON records(state);
CREATE INDEX records_doi ON records(doi) WHERE doi != '';
CREATE INDEX records_pmid ON records(pmid) WHERE pmid != '';
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES records(id),
    reviewer TEXT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
CREATE INDEX decisions_record ON decisions(record_id);
"""

_V2 = """
CREATE TABLE identified (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    query TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    found INTEGER NOT NULL,
    in_library INTEGER NOT NULL,
    in_inbox INTEGER NOT NULL,
    added INTEGER NOT NULL
);
ALTER TABLE records ADD COLUMN reviewers INTEGER NOT NULL DEFAULT 1;
"""

_V3 = """
ALTER TABLE identified ADD COLUMN entry TEXT;
ALTER TABLE identified ADD COLUMN logged INTEGER NOT NULL DEFAULT 2;
ALTER TABLE records ADD COLUMN run INTEGER REFERENCES identified(id);
ALTER TABLE records ADD COLUMN source_key TEXT NOT NULL DEFAULT '';
CREATE INDEX records_entry ON records(entry) WHERE entry IS NOT NULL;
"""

MIGRATIONS = {1: _V1, 2: _V2, 3: _V3}  # version -> the script that brings version-1 to it


class InboxError(LibraryError):
    """An inbox file that cannot be used (newer version, not a database, damaged); names the file."""


def inbox_path(bib: Path) -> Path:
    return bib.with_name(f"{bib.stem}.inbox.sqlite")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class InboxRecord:
    id: int
    title: str
    abstract: str
    source: str
    query: str
    added: str
    state: str
    topics: list[str] = field(default_factory=list)
    entry: str | None = None
    link_kind: str | None = None
    library_key: str | None = None
    note: str = ""
    doi: str = ""
    pmid: str = ""
    source_key: str = ""  # the record's citation key in its source file ('' for none)

    def to_json(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]


_COLUMNS = ("id, title, abstract, source, query, added, state, topics, entry, link_kind, library_key, note, doi, pmid, "
            "source_key")


def _row(row: sqlite3.Row | tuple[object, ...]) -> InboxRecord:
    values = list(row)
    values[7] = json.loads(str(values[7]))
    return InboxRecord(*values)  # type: ignore[arg-type]


class Inbox:
    """An open inbox; every method is one short transaction (safe with other processes writing)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path, self.conn = path, conn

    # --- opening ------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> Inbox:
        path = Path(path)
        if not path.exists() and not create:
            raise InboxError(f"{path}: no screening inbox yet (add records with --screen or `reflib watch run`)")
        if _emptied(path):  # SQLite would take it for a new inbox: every decision (and exclusion) gone unnoticed
            raise InboxError(f"{path}: the inbox file is empty (0 bytes): a truncated inbox has lost its decisions; "
                             "restore it from a backup, or delete the empty file to start a new inbox (the library "
                             "was not touched)")
        try:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                conn.close()
                raise InboxError(f"{path}: inbox schema version {version} is newer than this reflib understands "
                                 f"({SCHEMA_VERSION}); upgrade reflib, the file was not changed")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            if version < SCHEMA_VERSION:
                cls._migrate(conn, version)
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise InboxError(f"{path}: the inbox database is damaged ({check}); restore it from a backup or "
                                 "move it away (the library was not touched)")
        except sqlite3.DatabaseError as exc:
            raise InboxError(f"{path}: not a usable screening inbox ({exc}); restore it from a backup or move it "
                             "away (the library was not touched)") from exc
        return cls(path, conn)

    @staticmethod
    def _migrate(conn: sqlite3.Connection, version: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])  # another process may have done it
            for target in range(max(current, version) + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(target)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Inbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: takes the write lock at once (another writer waits, up to the busy timeout; readers
        never do, in WAL mode). Inside one already open, it is part of that one (which commits or rolls back)."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- records ------------------------------------------------------------------------------------------
    def add(self, records: Sequence[Record], *, source: str, query: str = "", topics: Sequence[str] = (),
            entry: str | None = None, link_kind: str | None = None, notes: Sequence[str] | None = None,
            found: int | None = None, in_library: int = 0, in_inbox: int = 0, reviewers: int = 1) -> list[int]:
        """Add records (already checked for duplicates) and log the identification step; returns their ids."""
        at = now_iso()
        ids = []
        with self.transaction() as conn:
            run = conn.execute(
                "INSERT INTO identified (source, query, at, found, in_library, in_inbox, added, entry, logged) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                (source, query, at, len(records) + in_library + in_inbox if found is None else found,
                 in_library, in_inbox, len(records), entry, SCHEMA_VERSION)).lastrowid
            for n, record in enumerate(records):
                fields = record_to_fields(record)
                cursor = conn.execute(
                    "INSERT INTO records (entry_type, fields, title, abstract, doi, pmid, source, query, added, "
                    "topics, entry, link_kind, note, reviewers, run, source_key) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (record.entry_type, json.dumps(fields, ensure_ascii=False), record.title, record.abstract,
                     record.doi.lower(), record.pmid, source, query, at, json.dumps(list(topics)), entry,
                     link_kind, notes[n] if notes else "", reviewers, run, record.key))
                ids.append(int(cursor.lastrowid or 0))
        return ids

    def record(self, record_id: int) -> Record:
        """The stored record, named ``inbox<ID>`` (a working name, never a citation key: see ``source_key``)."""
        row = self.conn.execute("SELECT entry_type, fields FROM records WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise InboxError(f"{self.path}: no inbox record #{record_id}")
        return record_from_fields(f"inbox{record_id}", row[0], json.loads(row[1]))

    def get(self, record_id: int) -> InboxRecord:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM records WHERE id = ?", (record_id,)).fetchone()  # noqa: S608
        if row is None:
            raise InboxError(f"{self.path}: no inbox record #{record_id} (see `reflib screen list`)")
        return _row(row)

    def items(self, states: Sequence[str] = (), source: str | None = None, limit: int | None = None,
              offset: int = 0) -> list[InboxRecord]:
        where, params = self._where(states, source)
        sql = f"SELECT {_COLUMNS} FROM records{where} ORDER BY id"  # noqa: S608
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [_row(r) for r in self.conn.execute(sql, params)]

    def texts(self, states: Sequence[str] = ()) -> tuple[list[int], list[str], list[str]]:
        """Ids, titles and abstracts (one read, for ranking)."""
        where, params = self._where(states, None)
        rows = self.conn.execute(f"SELECT id, title, abstract FROM records{where} ORDER BY id", params).fetchall()  # noqa: S608
        return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]

    def metadata(self, authors: bool = True) -> list[tuple[list[str], int | None, str, list[str]]]:
        """Per record, in id order (as :meth:`texts`): authors ("Family, Given"; empty unless ``authors``), year,
        journal and keywords, decoded from the stored fields as :func:`~library.fields.record_from_fields` does
        (for the ranking's text and metadata features; only these four fields are read)."""
        out: list[tuple[list[str], int | None, str, list[str]]] = []
        sql = ("SELECT json_extract(fields, '$.author'), json_extract(fields, '$.year'), "
               "json_extract(fields, '$.journal'), json_extract(fields, '$.keywords') FROM records ORDER BY id")
        for author, year, journal, keywords in self.conn.execute(sql):
            names = [a.display() for a in parse_bibtex_names(author)] if authors and author else []
            text = decode_value("year", str(year)) if year is not None else ""
            out.append((names, int(text) if text.strip().isdecimal() else None,
                        decode_value("journal", journal) if journal else "",
                        split_list(decode_value("keywords", keywords)) if keywords else []))
        return out

    def stored_records(self, after: int = 0, upto: int | None = None) -> RecordList:
        """Every inbox record (any state; with numbers above ``after`` and up to ``upto``) as a Record keyed
        ``inbox<ID>``: duplicate checks run against them. Held packed (:class:`~library.model.RecordList`): a
        million-record inbox is not a million Records."""
        return RecordList(record_from_fields(f"inbox{i}", t, json.loads(f)) for i, t, f in self.conn.execute(
            "SELECT id, entry_type, fields FROM records WHERE id > ? AND id <= ? ORDER BY id",
            (after, upto if upto is not None else 2**63 - 1)))

    def last_id(self) -> int:
        """The highest record number so far: numbers only grow, so what is added later is numbered above it."""
        return int(self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM records").fetchone()[0])

    def record_states(self, after: int = 0) -> dict[str, str]:
        """``inbox<ID>`` -> state of every record numbered above ``after`` (the names :meth:`stored_records` gives)."""
        return {f"inbox{i}": str(state) for i, state in self.conn.execute(
            "SELECT id, state FROM records WHERE id > ?", (after,))}

    @staticmethod
    def _where(states: Sequence[str], source: str | None) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if states:
            clauses.append(f"state IN ({','.join('?' * len(states))})")
            params += list(states)
        if source is not None:
            clauses.append("source = ?")
            params.append(source)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def count(self, states: Sequence[str] = ()) -> int:
        where, params = self._where(states, None)
        return int(self.conn.execute(f"SELECT COUNT(*) FROM records{where}", params).fetchone()[0])  # noqa: S608

    # --- decisions ----------------------------------------------------------------------------------------
    def decide(self, record_id: int, decision: str, reviewer: str, reason: str = "", note: str = "") -> str:
        """Record one reviewer's decision and return the record's new state (see :meth:`state_of`)."""
        if decision not in DECISIONS:
            raise InboxError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
        if decision == "exclude" and not reason.strip():
            raise InboxError("an exclusion needs a reason (--reason)")
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM records WHERE id = ?", (record_id,)).fetchone() is None:
                raise InboxError(f"{self.path}: no inbox record #{record_id} (see `reflib screen list`)")
            conn.execute("INSERT INTO decisions (record_id, reviewer, decision, reason, note, at) "
                         "VALUES (?,?,?,?,?,?)", (record_id, reviewer, decision, reason.strip(), note, now_iso()))
            return self._settle(conn, record_id)

    def undo(self, record_id: int, reviewer: str) -> str:
        """Withdraw this reviewer's latest decision on the record (the one before it, if any, counts again)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT id FROM decisions WHERE record_id = ? AND reviewer = ? ORDER BY id DESC "
                               "LIMIT 1", (record_id, reviewer)).fetchone()
            if row is None:
                raise InboxError(f"no decision by {reviewer!r} on inbox record #{record_id} to undo")
            conn.execute("DELETE FROM decisions WHERE id = ?", (row[0],))
            return self._settle(conn, record_id)

    def last_decision(self, reviewer: str) -> tuple[int, str] | None:
        row = self.conn.execute("SELECT record_id, decision FROM decisions WHERE reviewer = ? ORDER BY id DESC "
                                "LIMIT 1", (reviewer,)).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def current(self, record_id: int) -> dict[str, tuple[str, str, str]]:
        """Reviewer -> (decision, reason, time) of the newest decision of each reviewer."""
        out: dict[str, tuple[str, str, str]] = {}
        for reviewer, decision, reason, at in self.conn.execute(
                "SELECT reviewer, decision, reason, at FROM decisions WHERE record_id = ? ORDER BY id",
                (record_id,)):
            out[reviewer] = (decision, reason, at)
        return out

    def history(self, record_id: int) -> list[dict[str, str]]:
        return [{"reviewer": r, "decision": d, "reason": why, "note": n, "at": at} for r, d, why, n, at in
                self.conn.execute("SELECT reviewer, decision, reason, note, at FROM decisions WHERE record_id = ? "
                                  "ORDER BY id", (record_id,))]

    def _settle(self, conn: sqlite3.Connection, record_id: int) -> str:
        needed = int(conn.execute("SELECT reviewers FROM records WHERE id = ?", (record_id,)).fetchone()[0])
        latest: dict[str, tuple[int, str]] = {}
        for number, reviewer, decision in conn.execute(
                "SELECT id, reviewer, decision FROM decisions WHERE record_id = ? ORDER BY id", (record_id,)):
            latest[reviewer] = (number, decision)
        state = state_of([d for _, d in sorted(latest.values())], needed)
        previous = conn.execute("SELECT state FROM records WHERE id = ?", (record_id,)).fetchone()[0]
        if previous == "included" and state != "included":
            conn.execute("UPDATE records SET library_key = NULL WHERE id = ?", (record_id,))
        conn.execute("UPDATE records SET state = ? WHERE id = ?", (state, record_id))
        return state

    def set_library_key(self, record_id: int, key: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE records SET library_key = ? WHERE id = ?", (key, record_id))

    def pending_includes(self) -> list[int]:
        """Included records not yet in the library (an include whose library save failed or is still to come)."""
        return [int(r[0]) for r in self.conn.execute(
            "SELECT id FROM records WHERE state = 'included' AND library_key IS NULL ORDER BY id")]

    def set_reviewers(self, needed: int) -> None:
        """Two-reviewer mode for every record still open (and what is added from now on is the caller's)."""
        with self.transaction() as conn:
            conn.execute("UPDATE records SET reviewers = ? WHERE state IN ('open', 'maybe', 'conflict')", (needed,))
            for (record_id,) in conn.execute("SELECT id FROM records WHERE state != 'included'").fetchall():
                self._settle(conn, record_id)

    def decisions_by_reviewer(self) -> dict[str, dict[int, str]]:
        """Reviewer -> {record id: their newest decision}, for agreement: only the first two reviewers of each
        record count (a third reviewer sees only the disagreements, so their decisions say nothing of agreement)."""
        out: dict[str, dict[int, str]] = {}
        first: dict[int, list[str]] = {}
        for reviewer, record_id, decision in self.conn.execute(
                "SELECT reviewer, record_id, decision FROM decisions ORDER BY id"):
            who = first.setdefault(int(record_id), [])
            if reviewer not in who:
                if len(who) == 2:
                    continue  # an adjudicator
                who.append(reviewer)
            out.setdefault(reviewer, {})[int(record_id)] = decision
        return out

    def sources(self) -> set[str]:
        """The names of every search or file that fed the inbox (its runs' and its records' sources)."""
        return ({str(s) for (s,) in self.conn.execute("SELECT DISTINCT source FROM identified")}
                | {str(s) for (s,) in self.conn.execute("SELECT DISTINCT source FROM records")})

    def entries(self) -> set[str]:
        """The encyclopedia entries inbox records are linked to."""
        return {str(e) for (e,) in self.conn.execute("SELECT DISTINCT entry FROM records WHERE entry IS NOT NULL")}

    def identified(self) -> list[dict[str, object]]:
        """The identification runs, oldest first; ``entry`` is None for a run without one and for every run logged
        before schema version 3 (``logged`` < 3), whose entry is not known."""
        cols = ("id", "source", "query", "at", "found", "in_library", "in_inbox", "added", "entry", "logged")
        return [dict(zip(cols, r, strict=True)) for r in self.conn.execute(
            f"SELECT {', '.join(cols)} FROM identified ORDER BY id")]  # noqa: S608

    def exclusions(self) -> list[tuple[int, str, str]]:
        """(record id, source, reason) of every excluded record (the reason of the newest exclude)."""
        rows = self.conn.execute(
            "SELECT r.id, r.source, d.reason FROM records r JOIN decisions d ON d.record_id = r.id "
            "WHERE r.state = 'excluded' AND d.decision = 'exclude' ORDER BY d.id").fetchall()
        latest = {int(i): (int(i), str(s), str(why)) for i, s, why in rows}
        return list(latest.values())


def _emptied(path: Path) -> bool:
    """An existing inbox file of 0 bytes with nothing in its write-ahead log. A file another process is creating
    this very moment is 0 bytes for a few milliseconds: it is looked at again before it is called empty."""
    wal = Path(f"{path}-wal")
    for attempt in range(3):
        try:
            if path.stat().st_size:
                return False
        except FileNotFoundError:
            return False  # no file: a new inbox
        if wal.exists() and wal.stat().st_size:
            return False
        time.sleep(0.05 * (attempt + 1))
    return True


def state_of(decisions: list[str], needed: int = 1) -> str:
    """A record's state from its reviewers' current decisions (oldest first): with one reviewer needed, the newest
    decision counts; with two, open until two reviewers decided, then their common decision, or "conflict" when
    they disagree (for a third reviewer, whose decision then settles it: the majority of three)."""
    if len(decisions) < needed or not decisions:
        return "open"
    if needed == 1:
        decisions = decisions[-1:]
    counts = {d: decisions.count(d) for d in set(decisions)}
    top = max(counts.values())
    winners = [d for d, c in counts.items() if c == top]
    if len(winners) > 1:
        return "conflict"
    return {"include": "included", "exclude": "excluded", "maybe": "maybe"}[winners[0]]


def cohen_kappa(a: dict[int, str], b: dict[int, str]) -> tuple[float | None, int]:
    """Cohen's kappa of two reviewers over the records both decided (and how many those are). None when it is
    undefined: no shared record, or both gave every shared record one and the same label (chance agreement is
    then 1, and kappa 0/0; scikit-learn's score is NaN there); :func:`agreement` still says how often they
    agreed."""
    shared = sorted(set(a) & set(b))
    if not shared:
        return None, 0
    labels = sorted({a[i] for i in shared} | {b[i] for i in shared})
    observed = sum(a[i] == b[i] for i in shared) / len(shared)
    expected = sum((sum(a[i] == x for i in shared) / len(shared)) * (sum(b[i] == x for i in shared) / len(shared))
                   for x in labels)
    if expected >= 1.0:
        return None, len(shared)
    return (observed - expected) / (1 - expected), len(shared)


def reviewer_agreement(by_reviewer: dict[str, dict[int, str]]) -> list[dict[str, object]]:
    """Per pair of reviewers who decided the same records (``by_reviewer``: :meth:`Inbox.decisions_by_reviewer`):
    Cohen's kappa (None when undefined), the share of same decisions, and how many records both decided."""
    names = sorted(by_reviewer)
    pairs: list[dict[str, object]] = []
    for n, first in enumerate(names):
        for second in names[n + 1:]:
            kappa, shared = cohen_kappa(by_reviewer[first], by_reviewer[second])
            if shared:
                agreed = agreement(by_reviewer[first], by_reviewer[second]) or 0.0
                pairs.append({"reviewers": [first, second], "kappa": None if kappa is None else round(kappa, 3),
                              "records": shared, "agreement": round(agreed, 3)})
    return pairs


def kappa_text(item: dict[str, object]) -> str:
    """"Cohen's kappa 0.455 over 6 record(s), same decision on 67%" (kappa undefined: said so)."""
    kappa = "undefined (one and the same decision on every record)" if item["kappa"] is None else item["kappa"]
    return f"Cohen's kappa {kappa} over {item['records']} record(s), same decision on {item['agreement']:.0%}"


def agreement(a: dict[int, str], b: dict[int, str]) -> float | None:
    """The share of the records both reviewers decided on which they gave the same decision."""
    shared = set(a) & set(b)
    return sum(a[i] == b[i] for i in shared) / len(shared) if shared else None
