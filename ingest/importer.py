"""Put read records into a library: match, merge, key, tag, link - and report it, with the reasons.

Rules (the contract other parts rely on):

* **One decision.** Each incoming record is compared with the library *and* with the other records of the batch
  by the rules of ``reflib dedupe`` (:func:`library.dedupe.batch.match_batch`, the same rules as
  :func:`library.dedupe.same_publication`). Only **sure** duplicates are merged: an identifier match whose titles
  and authors agree, or a title+year+author match that no locator, generic title or meaning-changing word vetoes.
* **Everything uncertain is added and listed for review** (:attr:`ImportReport.review`, with both keys and the
  reasons: the CLI summary, ``--json``, the dashboard's preview) — never dropped, never folded into provenance. A
  DOI or PMID shared by records whose titles or authors disagree is such a case ("likely a wrong identifier").
* **Re-imports change nothing.** An incoming record that is field for field a library record (every identifying
  field the same, both ways; :func:`~library.dedupe.batch.identical_records`) is that record.
* Sure duplicates inside the batch become one record (the first of them is added, the others merged into it);
  a group never joins two library records, or records with different DOIs, PMIDs or PMCIDs, or records the rules
  vetoed against each other.
* **One merge rule** (:func:`library.dedupe.merge_records`, ``absorb=False``): empty fields of the existing
  record are filled, nothing is overwritten, protected fields (``protect``; ``*`` = whole record) are left alone,
  a differing value is kept in ``provenance`` once as ``field: value (from SOURCE)`` (abstracts only listed).
  An editor's choice from the dashboard preview (``accept``: incoming position -> library key) merges too.
* New records get a key from :func:`library.keys.make_key`; the source's own key is shown next to it.
* ``topics`` are added to every imported or matched record; ``entry`` with ``link_kind`` links each record to
  that encyclopedia entry, cited records numbered after the entry's highest number, in import order.
* The library is changed in memory only (the caller saves); with ``dry_run`` it is not changed at all.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Mapping, MutableSequence, Sequence
from dataclasses import dataclass, field

from library.dedupe import PairEvidence, merge_records
from library.dedupe.batch import Link, identical_records, identifier_conflict, identifiers_of, match_batch
from library.evidence import EvidenceFileError, Taxonomy, classify_record, next_number, taxonomy_for
from library.fields import storable_extra
from library.journals import fill_journal_abbrev
from library.keys import make_key
from library.model import EntryLink, PackedRecord, Record, RecordList, pack_record, unpack_record
from library.normalize import normalize_record
from library.store import Library

from .base import ReadProblem, findable
from .import_report import Added, ImportReport, Merged, ReviewPair, Skipped

__all__ = ["Added", "ImportReport", "Merged", "ReviewPair", "Skipped", "import_records"]


# --- topics and links -----------------------------------------------------------------------------------------
class _Linker:
    def __init__(self, lib: Library, topics: Sequence[str], entry: str | None, kind: str | None) -> None:
        self.topics = [t.strip() for t in topics if t.strip()]
        self.entry, self.kind = entry, kind
        self.number = next_number(lib, entry) - 1 if entry and kind == "cited" else 0

    def apply(self, record: Record) -> bool:
        changed = False
        for topic in self.topics:
            if topic not in record.topics:
                record.topics.append(topic)
                changed = True
        linked = any(lk.slug == self.entry and lk.kind == self.kind for lk in record.links)
        if self.entry and self.kind and not linked:
            number = None
            if self.kind == "cited":
                self.number += 1
                number = self.number
            record.links.append(EntryLink(self.entry, self.kind, number))
            changed = True
        return changed


class _Keys:
    """The keys taken during one import: the library's and the new records'; only grows (see make_key's hints)."""

    def __init__(self, lib: Library, pending: dict[str, PackedRecord]) -> None:
        self.lib, self.pending = lib, pending
        self.hints: dict[str, int] = {}

    def __contains__(self, key: object) -> bool:
        return key in self.pending or key in self.lib


def _describe(record: Record) -> str:
    return record.key or record.title[:80] or record.doi or record.pmid or "(untitled)"


# --- grouping the sure matches ---------------------------------------------------------------------------------
@dataclass
class _Group:
    members: list[int]  # incoming positions, in file order
    key: str = ""  # the library record they merge into ('' = the first member is added)
    ids: dict[str, set[str]] = field(default_factory=dict)
    link: dict[int, Link] = field(default_factory=dict)  # member -> the link that joined it


def _matched_on(link: Link | None) -> str:
    if link is None or link.evidence.tier == "editor":
        return "editor"
    found = [name.lower() for name in ("DOI", "PMID", "PMCID") if f"same {name}" in link.evidence.reasons]
    return found[0] if found else "title+year+author"


class _Plan:
    """Union of sure links, strongest first, under the constraints of the module docstring."""

    def __init__(self, records: Sequence[Record], links: list[Link], accept: Mapping[int, str]) -> None:
        self.group_of: dict[int, _Group] = {}
        self.vetoed: set[tuple[int | str, int]] = {(l.other, l.index) for l in links if l.decision == "veto"}
        self.records = records
        edges = [(l.evidence.score, l) for l in links if l.decision == "auto"]
        for index, key in accept.items():
            edges.append((2.0, Link(index, key, "auto", _editor_evidence(key, index))))
        for _, link in sorted(edges, key=lambda e: (-e[0], e[1].index, str(e[1].other))):
            self._join(link)

    def group(self, index: int) -> _Group:
        if index not in self.group_of:
            self.group_of[index] = _Group([index], ids=identifiers_of(self.records[index]))
        return self.group_of[index]

    def _blocked(self, a: _Group, b: _Group) -> bool:
        if identifier_conflict(a.ids, b.ids) or (a.key and b.key and a.key != b.key):
            return True
        return any((x, y) in self.vetoed or (y, x) in self.vetoed for x in a.members for y in b.members) or any(
            (key, y) in self.vetoed for key in (a.key, b.key) if key for y in (*a.members, *b.members))

    def _join(self, link: Link) -> None:
        mine = self.group(link.index)
        if isinstance(link.other, str):
            if mine.key == link.other or self._blocked(mine, _Group([], key=link.other)):
                return
            mine.key = link.other
            mine.link.setdefault(link.index, link)
            return
        theirs = self.group(link.other)
        if theirs is mine or self._blocked(mine, theirs):
            return
        theirs.members = sorted(theirs.members + mine.members)
        theirs.key = theirs.key or mine.key
        for kind, values in mine.ids.items():
            theirs.ids.setdefault(kind, set()).update(values)
        theirs.link.update(mine.link)
        theirs.link.setdefault(link.index, link)
        for member in mine.members:
            self.group_of[member] = theirs


def _editor_evidence(key: str, index: int) -> PairEvidence:
    return PairEvidence(key, f"incoming[{index}]", "editor", 1.0, "auto", ("accepted by an editor",))


# --- the import -----------------------------------------------------------------------------------------------
def import_records(lib: Library, records: Sequence[Record], *, source: str = "", topics: Sequence[str] = (),
                   entry: str | None = None, link_kind: str | None = None, dry_run: bool = False,
                   accept: Mapping[int, str] | None = None, fuzzy: bool = True,
                   consume: bool = False) -> ImportReport:
    """Match, merge and add ``records`` into ``lib`` (in memory); see the module docstring for the rules.

    ``accept`` maps positions in ``records`` to library keys an editor confirmed (the dashboard's preview);
    ``fuzzy=False`` merges on identifiers and identical records only (title+year+author matches are listed for
    review instead). ``consume=True`` empties ``records`` (a list or a RecordList) once they are read, for a
    caller that does not use them again: a file's records are then not held through the rest of the import.
    """
    if (entry is None) != (link_kind is None):
        raise ValueError("an entry link needs both the entry slug and the kind (cited or discussed)")
    if link_kind not in (None, "cited", "discussed"):
        raise ValueError(f"link kind must be 'cited' or 'discussed', not {link_kind!r}")
    report = ImportReport(source=source, dry_run=dry_run)
    # the records are held packed from here on (a million tiny ones in ~300 MB instead of ~2.5 GB); a packed
    # list (the readers') gives a new Record on every access, so it is normalized in place
    normalized = RecordList()
    usable = array("q")  # positions (8 bytes each)
    abbreviated = array("q")  # positions whose journal abbreviation came from the NLM list
    packed_in = records.packed() if isinstance(records, RecordList) else None
    for n, incoming in enumerate(records):
        record = normalize_record(incoming, in_place=packed_in is not None)
        if fill_journal_abbrev(record):  # what a source supplies is kept
            abbreviated.append(n)
        if findable(record):
            usable.append(n)
        else:
            report.skipped.append(Skipped(_describe(record), "no title and no identifier"))
        packed = pack_record(record)
        # a record the reader normalized already comes out the same: its packed item is shared, not doubled
        normalized.packed().append(packed_in[n] if packed_in is not None and packed == packed_in[n] else packed)
    if consume and isinstance(records, MutableSequence):
        del records[:]
    del packed_in
    frame = lib.frame() if len(lib) else None
    get = lambda key: lib.get(key, keep=False)  # noqa: E731
    identical = (identical_records(normalized.subset(usable), frame, get) if frame is not None and usable
                 else {})
    identical = {usable[n]: key for n, key in identical.items()}
    rest = [n for n in usable if n not in identical] if identical else usable
    filled_abbrev = set(abbreviated)  # counted below only where the abbreviation reaches the library
    links = [Link(rest[l.index], rest[l.other] if isinstance(l.other, int) else l.other, l.decision, l.evidence)
             for l in match_batch(normalized.subset(rest), frame if frame is not None else [])]
    if not fuzzy:
        links = [l if l.decision != "auto" or l.evidence.tier != "fuzzy" else
                 Link(l.index, l.other, "review", l.evidence) for l in links]
    plan = _Plan(normalized, links, accept or {})
    linker = _Linker(lib, topics, entry, link_kind)
    new: dict[str, PackedRecord] = {}
    taken = _Keys(lib, new)
    touched: dict[str, Record] = {}
    key_of = [""] * len(normalized)  # incoming position -> the key it ended up in
    for n in usable:
        record = normalized[n]
        group = plan.group_of.get(n)
        target_key = identical.get(n) or (group.key if group else "")
        if not target_key and group is not None and group.members[0] != n:
            target_key = key_of[group.members[0]]
        if target_key:
            _merge(lib, report, record, target_key, source, linker, new, touched,
                   "identical record" if n in identical else _matched_on(group.link.get(n) if group else None),
                   [] if n in identical else list(group.link[n].evidence.reasons) if group and n in group.link
                   else ["accepted by an editor"])
            key_of[n] = target_key
            report.abbreviated += n in filled_abbrev and "journal_abbrev" in report.merged[-1].filled
            continue
        record.key, source_key = make_key(record, taken, taken.hints), record.key
        if source_key != record.key and _CITE_KEY.fullmatch(source_key):
            _keep_alias(record, source_key)
        linker.apply(record)
        packed = new[record.key] = pack_record(record)
        key_of[n] = record.key
        report.added.append(Added(record.key, record.title, source_key, packed))
        report.abbreviated += n in filled_abbrev
    del normalized, plan  # the incoming records as read: what is kept now is in new, touched and the report
    _review(report, links, key_of, new)
    rules = _taxonomy(lib, report)
    if not dry_run:
        for record in touched.values():
            record.extra = storable_extra(record.extra)
            lib.update(classify_record(record, rules) if rules else record)
        for packed in new.values():
            record = unpack_record(packed)
            record.extra = storable_extra(record.extra)
            lib.add(classify_record(record, rules) if rules else record)
    return report


# a source's own citation key (BibTeX, CSL-JSON ids): kept as an alias in ``ids`` when the record gets reflib's key,
# so that \cite{oldkey} still resolves (biblatex/biber read ``ids``); a bare number (a RIS or EndNote ID) is no key
_CITE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_:./+\-]*")


def _keep_alias(record: Record, alias: str) -> None:
    aliases = [a.strip() for a in record.extra.get("ids", "").split(",") if a.strip()]
    if alias not in aliases:
        record.extra["ids"] = ", ".join([*aliases, alias])


def _merge(lib: Library, report: ImportReport, record: Record, key: str, source: str, linker: _Linker,
           new: dict[str, PackedRecord], touched: dict[str, Record], how: str, reasons: list[str]) -> None:
    target = unpack_record(new[key]) if key in new else touched.get(key) or lib.get(key, keep=False)
    outcome = merge_records(target, [record], source=source or "import", absorb=False)
    merged = outcome.record
    tagged = linker.apply(merged)
    if key in new:
        new[key] = pack_record(merged)
    elif outcome.changed or tagged:  # an unchanged record is not held (nor re-saved)
        touched[key] = merged
    report.merged.append(Merged(key, _describe(record), how, outcome.filled, outcome.conflicts, tagged,
                                outcome.noted, reasons, within_file=key in new))


def _review(report: ImportReport, links: list[Link], key_of: list[str], new: dict[str, PackedRecord]) -> None:
    """One review item per pair of records the import left apart that may be one publication."""
    seen: set[tuple[str, str]] = set()
    for link in sorted(links, key=lambda l: (l.index, -l.evidence.score)):
        if link.decision != "review" or key_of[link.index] not in new:
            continue
        mine = key_of[link.index]
        other = link.other if isinstance(link.other, str) else key_of[link.other]
        if not other or other == mine or (mine, other) in seen:
            continue
        seen.update({(mine, other), (other, mine)})
        report.review.append(ReviewPair(mine, other, list(link.evidence.reasons), link.evidence.score,
                                        link.index, other in new,
                                        link.other if isinstance(link.other, int) else -1))


def _taxonomy(lib: Library, report: ImportReport) -> Taxonomy | None:
    """The library's topic rules; None when the file is missing, or broken: then each of its problems is a
    warning on the report (file and line), since the records are imported unclassified - never blocked."""
    try:
        return taxonomy_for(lib.path)
    except EvidenceFileError as exc:
        report.problems.extend(
            ReadProblem(p.path, f"{p.message}; the imported records were not classified (fix the taxonomy, then "
                        "run `reflib classify`)", p.line or None, severity="warning") for p in exc.problems)
        return None
