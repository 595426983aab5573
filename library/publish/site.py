"""``reflib publish``: the whole static site, incrementally.

Per run: every record's stored-text digest is compared with the last run's; only new or edited records are
parsed, summarized and formatted (citations come from :mod:`.cites`' persistent cache). A study page is
re-rendered only when its own digest, its related studies or the site settings changed; every other file is
regenerated from summaries and rewritten only when its bytes differ (:class:`.output.SiteWriter`).
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import itertools
import json
import operator
import re
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, cast

from ..evidence.encyclopedia import Encyclopedia
from ..export.csljson import csl_item
from ..model import Record
from ..store import Library
from .cites import CiteCache, citation_fingerprint
from .config import PublishConfig
from .feeds import LOCAL, atom_feed, newest, rss_feed
from .markup import COPY_JS, CSS, SEARCH_JS, esc, page, page_parts
from .output import STATE_DIR, SiteWriter, StudyState, load_state, mark_writing, save_state
from .pages import entry_block, list_pages, sitemap_files, topic_closure
from .slugs import is_slug, make_unique, slugify, topic_slug
from .study import Summary, old_slugs_of, public_record, study_parts, summarize

__all__ = ["PublishReport", "publish_site"]

TEMPLATE_VERSION = "2"  # 2: internal keywords and unsafe URLs left out, more metadata for books, theses, reports
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SHARD_SIZE = 1000
WALK_LIMIT = 2000  # steps a republish walks the order to find a study's pool neighbours before it gathers the pool
RENDER_BATCH = 500  # study pages formatted together (citations in one bibliography per style)
_DUMP_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # made once, not per line


@dataclass
class PublishReport:
    studies: int = 0
    parsed: int = 0
    rendered: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    slugs_assigned: int = 0
    cite_hits: int = 0
    cite_misses: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # wall-clock seconds per step
    cpu_timings: dict[str, float] = field(default_factory=dict)  # CPU seconds of this process per step
    warnings: list[str] = field(default_factory=list)


def _assign_slugs(lib: Library, records: dict[str, Record], taken: dict[str, str], reserved: set[str],
                  previous: dict[str, str]) -> tuple[int, bool]:
    """Give every parsed record without a valid, unique slug one (from its title), in place; keep the address a
    study was last published at in ``slug_old`` when an editor changed its slug (``previous``: key -> last run's
    slug), so that the old address redirects even from a fresh output folder. All of it is stored with one bulk
    update of the fields alone (:meth:`Library.set_fields`: the same file as storing the records, mostly without
    rendering them again) and one save. Valid stored slugs are kept first, so a new study never takes the slug of
    an edited one, nor anyone's earlier slug (``reserved``). Storing a slug does not stamp ``modified``: it is
    site bookkeeping, not an edit of the study. Returns how many records got a new slug and whether it saved."""
    missing: list[Record] = []
    for key, record in records.items():
        slug = record.extra.get("slug", "").strip()
        if is_slug(slug) and taken.get(slug, key) == key:
            taken[slug] = key
        else:
            missing.append(record)
    names = set(taken) | reserved if missing else set()  # every address in use (only when one must be made)
    for record in records.values() if missing else ():
        names.update(old_slugs_of(record))
    for record in missing:
        new = make_unique(slugify(record.title or record.key), names)
        taken[new] = record.key
        record.extra["slug"] = new
    changed = {r.key: {"slug": r.extra["slug"]} for r in missing}
    for key, record in records.items() if previous else ():  # (no earlier slug: nothing to keep)
        before = previous.get(key, "")
        olds = old_slugs_of(record)
        if is_slug(before) and before != record.extra["slug"] and before not in olds:
            record.extra["slug_old"] = " ".join((*olds, before))
            changed.setdefault(key, {})["slug_old"] = record.extra["slug_old"]
    if changed:
        lib.set_fields(changed)
        lib.save()
    return len(missing), bool(changed)


def _shown(lib: Library, key: str) -> Record:
    """A study's record as the site shows it (:func:`.study.public_record`)."""
    return public_record(lib.get(key, keep=False))


@lru_cache(maxsize=65536)
def _pool_names(topics: tuple[str, ...], journal: str) -> tuple[str, ...]:
    """The pools a study belongs to, most specific topic first, then broader topics, then its journal."""
    specific = tuple(sorted(topic_closure(topics), key=lambda t: -t.count(">")))
    return specific + (("journal:" + journal,) if journal else ())


def _names(s: Summary) -> tuple[str, ...]:
    return _pool_names(s.topics, s.journal)


Pools = tuple[dict[str, list[Summary]], dict[str, dict[str, int]]]
_STEPS = (-1, 1, -2, 2, -3, 3)
_REACH = 3  # the farthest step: a study's list depends only on the studies this close to it in its pools


def _pools(ordered: Sequence[Summary], wanted: set[str] | None = None) -> Pools:
    """Each pool (topic, broader topic, journal) in the library's order, with every member's place in it; only
    the ``wanted`` pools when given."""
    pools: dict[str, list[Summary]] = defaultdict(list)
    position: dict[str, dict[str, int]] = defaultdict(dict)
    for s in ordered:
        for name in _names(s):
            if wanted is None or name in wanted:
                pool = pools[name]
                position[name][s.key] = len(pool)
                pool.append(s)
    return pools, position


def _related_of(s: Summary, pools: Pools, limit: int = 4) -> list[Summary]:
    """Studies to read next: neighbours in the library's order (newest first, then title) in the study's most
    specific topic (then broader topics, then the same journal)."""
    members, position = pools
    chosen: list[Summary] = []
    for name in _names(s):
        pool = members[name]
        i = position[name][s.key]
        size = len(pool)
        for step in _STEPS:
            j = i + step
            if 0 <= j < size:
                other = pool[j]
                if other.key != s.key and other not in chosen:
                    chosen.append(other)
                    if len(chosen) >= limit:
                        return chosen
    return chosen


class _Order:
    """One order of studies with their pools found on demand: a study's nearest pool members are found by walking
    the order from its place (few steps in a common pool); a pool that needs a long walk (a rare journal) is
    gathered once in one pass. No pool of the whole library is built for a republish after a few edits."""

    def __init__(self, ordered: list[Summary]) -> None:
        self.ordered = ordered
        self.full: dict[str, Pools] = {}

    def place(self, s: Summary) -> int:
        return bisect.bisect_left(self.ordered, _sort_key(s), key=_sort_key)

    def _pool(self, name: str) -> Pools:
        if name not in self.full:
            self.full[name] = _pools(self.ordered, {name})
        return self.full[name]

    def near(self, s: Summary, name: str) -> tuple[list[Summary], list[Summary]]:
        """The members of pool ``name`` just before and just after ``s`` (up to ``_REACH`` each, nearest first)."""
        if name not in self.full:
            i = self.place(s)
            sides: list[list[Summary]] = []
            for step in (-1, 1):
                found: list[Summary] = []
                j, walked = i + step, 0
                while 0 <= j < len(self.ordered) and len(found) < _REACH and walked < WALK_LIMIT:
                    other = self.ordered[j]
                    if name in _names(other):
                        found.append(other)
                    j += step
                    walked += 1
                if len(found) < _REACH and 0 <= j < len(self.ordered):
                    break
                sides.append(found)
            else:
                return sides[0], sides[1]
        members, position = self._pool(name)
        pool = members[name]
        i = position[name][s.key]
        return pool[max(0, i - _REACH):i][::-1], pool[i + 1:i + 1 + _REACH]

    def related(self, s: Summary, limit: int = 4) -> list[Summary]:
        """As :func:`_related_of`."""
        chosen: list[Summary] = []
        for name in _names(s):
            before, after = self.near(s, name)
            for k in range(_REACH):
                for side in (before, after):
                    if k < len(side):
                        other = side[k]
                        if other.key != s.key and other not in chosen:
                            chosen.append(other)
                            if len(chosen) >= limit:
                                return chosen
        return chosen

    def neighbours(self, s: Summary) -> set[str]:
        out = {s.key}
        for name in _names(s):
            before, after = self.near(s, name)
            out.update(o.key for o in before)
            out.update(o.key for o in after)
        return out


def _related(ordered: list[Summary], old_ordered: list[Summary] | None,
             touched: dict[str, tuple[Summary | None, Summary | None]],
             current: dict[str, Summary]) -> tuple[dict[str, list[Summary]], set[str]]:
    """({key: related studies}, affected keys) for the studies whose list may have changed since the last run:
    all of them on a full run (``old_ordered`` None), else the ``touched`` studies (key -> (last run's published
    summary or None, this run's or None)) and those within reach of one of them in a shared pool, in the old order
    or the new one. Any other study has the same neighbours in each of its pools as before, hence the same list."""
    if old_ordered is None:
        pools = _pools(ordered)
        return {s.key: _related_of(s, pools) for s in ordered}, {s.key for s in ordered}
    old, new = _Order(old_ordered), _Order(ordered)
    affected: set[str] = set()
    for was, now in touched.values():
        if was is not None:
            affected |= old.neighbours(was)
        if now is not None:
            affected |= new.neighbours(now)
    chosen = [current[k] for k in affected if k in current]
    return {s.key: new.related(s) for s in chosen}, {s.key for s in chosen}


def _study_page(record: Record, summary: Summary, cites: dict[str, str], related: list[Summary],
                entries: Encyclopedia, config: PublishConfig, rows: dict[str, str] | None = None) -> str:
    """The study's page; ``rows``: related studies' list items made so far in this run (by key; each study is
    related to about four others), added to."""
    url = config.absolute(f"library/{summary.slug}.html")
    head, body = study_parts(record, summary.slug, cites, entries, config, url)
    parts = [body]
    if related:
        rows = {} if rows is None else rows
        parts.append("\n<section><h2>Related studies</h2><ul>")
        for r in related:
            row = rows.get(r.key)
            if row is None:
                row = rows[r.key] = (f'<li><a href="{r.slug}.html">{esc(r.title or "(untitled)")}</a> '
                                     f'<span class="meta">{esc(r.authors)} {r.year or ""}</span></li>')
            parts.append(row)
        parts.append("</ul></section>")
    return "".join(page_parts(record.title or "(untitled)", parts, "../", config.site_title, head=head,
                              canonical=url, scripts=_COPY_SCRIPT))


_COPY_SCRIPT = '<script src="../assets/copy.js"></script>\n'


def _redirect(target: str, config: PublishConfig) -> str:
    """The page at a study's earlier address: a refresh to its page, and that page as the canonical address (what
    search engines read of a static redirect)."""
    return page("Moved", f'<p>This study has moved to <a href="{target}">{target}</a>.</p>', "../",
                config.site_title, head=f'<meta http-equiv="refresh" content="0; url={target}">\n',
                canonical=config.absolute(f"library/{target}"))


def _global_hash(config: PublishConfig, entries: Encyclopedia, lib: Library) -> str:
    entries_text = json.dumps([e.as_dict() for e in entries], sort_keys=True)
    return hashlib.sha1("|".join((TEMPLATE_VERSION, config.fingerprint(), entries_text, citation_fingerprint()))
                        .encode()).hexdigest()


def publish_site(lib: Library, outdir: Path, entries: Encyclopedia, config: PublishConfig, *,
                 force: bool = False, cites: CiteCache | None = None) -> PublishReport:
    """Write the site for ``lib`` into ``outdir``; ``cites`` defaults to the cache in the state folder.

    Python's cyclic garbage collector is paused meanwhile (as while building the library's index): the run
    makes millions of small tuples and strings that hold no reference cycles, and with 100k studies' summaries
    alive every collection of the oldest generation walks all of them (seconds of a republish)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _publish(lib, outdir, entries, config, force=force, cites=cites)
    finally:
        if was_enabled:
            gc.enable()


def _publish(lib: Library, outdir: Path, entries: Encyclopedia, config: PublishConfig, *,
             force: bool, cites: CiteCache | None) -> PublishReport:
    started = time.perf_counter()
    report = PublishReport()
    outdir.mkdir(parents=True, exist_ok=True)
    state = load_state(outdir)
    interrupted = bool(state.get("interrupted"))
    force = force or interrupted  # the last run was killed while writing: its pages and the state may disagree
    marks = {"last": time.perf_counter(), "cpu": time.process_time()}

    def mark(name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        report.timings[name] = now - marks["last"]
        report.cpu_timings[name] = cpu - marks["cpu"]
        marks["last"], marks["cpu"] = now, cpu

    global_hash = _global_hash(config, entries, lib)
    same_site = not force and state.get("global") == global_hash
    all_old: dict[str, StudyState] = state.get("studies", {})  # the last run's, whatever its settings
    old_studies = all_old if same_site else {}
    digests = lib.entry_digests()
    # the records whose stored text changed (compared in C: the last run's digests against this run's)
    library_keys = list(digests)
    last = map(itemgetter(0), map(old_studies.get, library_keys, itertools.repeat(_NO_STATE)))
    differ = list(map(operator.ne, last, map(bytes.hex, digests.values())))
    changed = list(itertools.compress(library_keys, differ))
    records = {k: lib.get(k, keep=False) for k in changed}
    same = list(itertools.compress(library_keys, map(operator.not_, differ)))  # their summaries are known
    same_summaries = list(map(itemgetter(2), map(old_studies.__getitem__, same)))
    taken = dict(zip(map(attrgetter("slug"), same_summaries), same, strict=True))
    reserved = set(itertools.chain.from_iterable(map(attrgetter("old_slugs"), same_summaries)))
    previous = {k: all_old[k][2].slug for k in records if k in all_old}
    report.slugs_assigned, saved = _assign_slugs(lib, records, taken, reserved, previous)
    records = {k: public_record(r) for k, r in records.items()}  # what the site shows of them (slugs stored)
    if saved:
        digests = lib.entry_digests()  # the saved text: next run compares with these
    report.parsed = len(records)
    mark("read")

    cache = cites or CiteCache(outdir / STATE_DIR / "cite.sqlite")
    summaries = cast(dict[str, Summary], dict.fromkeys(digests))  # every value is set below
    summaries.update(zip(same, same_summaries, strict=True))  # (in C; the keys keep the library's order)
    for key, record in records.items():
        summaries[key] = summarize(record, record.extra["slug"])
    published = list(itertools.compress(summaries.values(),
                                        map(config.statuses.__contains__, map(_status_of, summaries.values()))))
    report.studies = len(published)
    # what changed since the last run: edited, added and removed studies (their last and current published form)
    statuses = config.statuses
    touched: dict[str, tuple[Summary | None, Summary | None]] = {}
    for key in [*records, *sorted(old_studies.keys() - digests.keys())]:
        was = old_studies[key][2] if key in old_studies else None
        now = summaries.get(key)
        touched[key] = (was if was is not None and was.status in statuses else None,
                        now if now is not None and now.status in statuses else None)
    incremental = bool(old_studies) and len(touched) * 20 < max(len(published), 1)
    last_order: list[str] = state.get("order", []) if incremental else []
    old_ordered: list[Summary] | None
    if incremental and len(last_order) == len(published) + sum(
            (was is not None) - (now is not None) for was, now in touched.values()):
        ordered, old_ordered = _orders_from(last_order, summaries, touched)
    else:
        ordered = _order(published)
        old_ordered = _last_members(ordered, touched) if incremental else None
    related, affected = _related(ordered, old_ordered, touched, {s.key: s for s in published})
    mark("summaries")

    writer = SiteWriter(outdir, state.get("files", {}), force=force)  # content hashes: valid across settings
    if interrupted:
        writer.remove_temps(itertools.chain.from_iterable(_study_files(st) for st in all_old.values()))
    writer.before_change = wait_for_mark = mark_writing(outdir)
    dump_lines: dict[str, bytes] = {}  # JSON Lines of parsed studies, made from the CSL item built for the cache
    new_studies: dict[str, StudyState] = {}
    hexes = _Hexes(digests)

    def stored(s: Summary) -> Summary:  # an unchanged study keeps the object it was loaded as
        return s._replace(search=()) if s.key in records else s

    by_slug: dict[str, str] = {}

    def last_files(key: str, slug: str) -> tuple[str | None, str | None]:
        """The digests of the page and RIS file at this slug's address after the last run (None: no file)."""
        st = all_old.get(key)
        if st is not None and st[4] and st[2].slug == slug:
            html, ris = st[4].split()
            return html, ris
        if not by_slug and all_old:
            by_slug.update((st[2].slug, st[4]) for st in all_old.values() if st[4])
        found = by_slug.get(slug)
        if not found:
            return None, None
        html, ris = found.split()
        return html, ris

    to_render: list[tuple[Summary, str, list[Summary]]] = []
    # same record, same neighbours: the same page (kept when the last run wrote it, unless forced)
    if not force:
        keys = list(map(_key_of, published))
        olds: list[Any] = list(map(old_studies.get, keys))
        if None not in olds and "" not in map(itemgetter(4), olds):  # in C: a republish (every study known)
            new_studies.update(zip(keys, olds, strict=True))
            for key in affected:
                new_studies.pop(key, None)
        else:
            new_studies.update((s.key, old) for s in published
                               if s.key not in affected and (old := old_studies.get(s.key)) is not None and old[4])
    for s in itertools.compress(published, map(operator.not_, map(new_studies.__contains__, map(_key_of, published)))):
        old = old_studies.get(s.key)
        if s.key not in affected and old is not None:  # its files are not known: made again
            near = [summaries[k] for k in old[3].split() if k in summaries]
        else:
            near = related[s.key]
        # what a study page shows of its related studies (slug, title, authors, year) comes from their records
        page_key = hashlib.sha1("|".join([hexes[s.key], *[hexes[r.key] for r in near]]).encode()).hexdigest()
        if old is not None and old[1] == page_key and old[4] and not force:
            new_studies[s.key] = (hexes[s.key], page_key, old[2], old[3], old[4])
            continue
        to_render.append((s, page_key, near))
    related_rows: dict[str, str] = {}  # key -> the study's row in other studies' related lists
    for start in range(0, len(to_render), RENDER_BATCH):
        batch = to_render[start:start + RENDER_BATCH]
        batch_records = [records.get(s.key) or _shown(lib, s.key) for s, _, _ in batch]
        items = [csl_item(record, keep_custom=True) for record in batch_records]
        formatted_all = cache.get_many(batch_records, items)
        for (s, page_key, near), record, item, formatted in zip(batch, batch_records, items, formatted_all,
                                                                strict=True):
            if s.key in records:
                dump_lines[s.key] = _dump_line(item, s.slug, config)
            last_html, last_ris = last_files(s.key, s.slug)
            html = writer.write_page(f"library/{s.slug}.html", _study_page(record, s, formatted, near, entries,
                                                                           config, related_rows), last_html)
            ris = writer.write_page(f"library/{s.slug}.ris", formatted["ris"] + "\n", last_ris)
            report.rendered += 1
            new_studies[s.key] = (hexes[s.key], page_key, stored(s), " ".join(r.key for r in near), f"{html} {ris}")
    if len(new_studies) < len(summaries):  # unpublished studies keep their summary (no page)
        for s in summaries.values():
            if s.key not in new_studies:
                new_studies[s.key] = (hexes[s.key], "", stored(s), "", "")
    report.cite_hits, report.cite_misses = cache.hits, cache.misses
    # the new citations committed now, before the list pages, search shards and dump are written: the commit
    # waits for the disk, and later the file system would flush those fresh files with it (~0.3 s of a republish)
    cache.flush()
    mark("study pages")

    # redirects: the study's earlier slugs (kept on the record in slug_old) lead to its page
    current = {s.slug for s in published}
    redirects: dict[str, str] = {}
    for s in itertools.compress(published, map(bool, map(_old_slugs_of, published))):  # the few that moved
        for old_slug in s.old_slugs:
            if old_slug not in current and old_slug not in redirects:
                redirects[old_slug] = s.slug
    for old_slug, slug in sorted(redirects.items()):
        writer.write(f"library/{old_slug}.html", _redirect(f"{slug}.html", config))

    _write_lists(writer, published, ordered, entries, config, cache, records, lib,
                 touched if incremental else None, old_ordered)
    mark("lists, feeds, entries")
    # studies the last run published that this run does not (each was edited or removed, so it is touched)
    gone = {k for k, (_, now) in touched.items() if now is None and (o := old_studies.get(k)) is not None and o[1]}
    shards = _write_search(writer, outdir, published, set(records), gone, state.get("shards", 0) if same_site else 0)
    dump_keys, dump_sizes = _write_dump(writer, outdir, published, records, dump_lines, lib, config,
                                        state.get("dump_keys", []) if same_site else [],
                                        state.get("dump_sizes", []) if same_site else [])
    mark("search, dump")
    cache.close()
    # the page and RIS file of a study the last run published at an address no study has now
    moved = itertools.compress(all_old, map(operator.is_not, map(new_studies.get, all_old), all_old.values()))
    report.removed = writer.remove_stale(itertools.chain.from_iterable(
        _study_files(all_old[k]) for k in moved if all_old[k][4] and all_old[k][2].slug not in current))
    wait_for_mark()  # durable before the state that clears it (a no-op when a page change waited already)
    save_state(outdir, {"global": global_hash, "studies": new_studies, "files": writer.new,
                        "order": [s.key for s in ordered],
                        "shards": shards, "dump_keys": dump_keys, "dump_sizes": dump_sizes}, state)
    report.written, report.unchanged = writer.written, writer.unchanged
    mark("state")
    report.seconds = time.perf_counter() - started
    return report


_NO_STATE = ("",)  # the digest of a study the last run did not have: equal to none


def _sort_key(s: Summary) -> tuple[int, str, str]:
    return (-(s.year or 0), s.title.casefold(), s.key)


class _Hexes(dict[str, str]):
    """key -> the record digest in hex, made when first asked for (a republish needs a few of 100k)."""

    def __init__(self, digests: dict[str, bytes]) -> None:
        super().__init__()
        self.digests = digests

    def __missing__(self, key: str) -> str:
        value = self[key] = self.digests[key].hex()
        return value


def _study_files(st: StudyState) -> tuple[str, ...]:
    """The page and RIS file a study's state says the last run wrote (none for an unpublished study)."""
    return (f"library/{st[2].slug}.html", f"library/{st[2].slug}.ris") if st[4] else ()


def _orders_from(last_order: list[str], summaries: dict[str, Summary],
                 touched: dict[str, tuple[Summary | None, Summary | None]]) -> tuple[list[Summary], list[Summary]]:
    """(this run's order, the last run's) from the last run's order of keys (kept in the state) and the touched
    studies, without sorting the library again: a study not touched has the summary it had then, hence the same
    place relative to the others."""
    base = list(map(summaries.__getitem__, itertools.filterfalse(touched.__contains__, last_order)))
    ordered, old = list(base), base
    for was, now in touched.values():
        if now is not None:
            bisect.insort(ordered, now, key=_sort_key)
        if was is not None:
            bisect.insort(old, was, key=_sort_key)
    return ordered, old


def _feeds(writer: SiteWriter, stem: str, title: str, page_path: str, items: Sequence[Summary],
           config: PublishConfig) -> tuple[tuple[str, str, str], ...]:
    base = config.base_url or LOCAL
    chosen = newest(items, config.feed_size)
    note = "" if config.base_url else " (no base_url set: links point at http://localhost/)"
    writer.write(f"{stem}.rss.xml", rss_feed(title, base + page_path, base + f"{stem}.rss.xml",
                                             f"Newest studies: {title}{note}", chosen, base))
    writer.write(f"{stem}.atom.xml", atom_feed(title, base + page_path, base + f"{stem}.atom.xml", chosen, base))
    name = stem.rpartition("/")[2]
    return (("application/rss+xml", f"{name}.rss.xml", f"{title} (RSS)"),
            ("application/atom+xml", f"{name}.atom.xml", f"{title} (Atom)"))


def _order(items: Sequence[Summary]) -> list[Summary]:
    """The library's order: newest first, then by title and key."""
    return sorted(items, key=_sort_key)


def _keep_list(writer: SiteWriter, folder: str, name: str, count: int, size: int, feeds: bool = True) -> bool:
    """Keep the files of a list (its pages and feeds) from the last run; False when one of them is not known."""
    total = max(1, -(-count // size))
    paths = [f"{folder}/{name}.html", *(f"{folder}/{name}-page-{n}.html" for n in range(2, total + 1))]
    if feeds:
        paths += [f"{folder}/{name}.rss.xml", f"{folder}/{name}.atom.xml"]
    return all(writer.keep(path) for path in paths)


_topics_of, _key_of, _links_of = attrgetter("topics"), attrgetter("key"), attrgetter("links")
_design_of, _slug_of, _modified_of = attrgetter("design"), attrgetter("slug"), attrgetter("modified")
_old_slugs_of, _status_of = attrgetter("old_slugs"), attrgetter("status")


@lru_cache(maxsize=4096)
def _lastmod(modified: str) -> str:  # few distinct values: checked once each
    """The sitemap's date of a study page: the day of its last edit (the record's ``modified``), when it has one."""
    day = modified[:10]
    return day if _DAY.match(day) else ""


def _in_topic(topic: str, s: Summary) -> bool:
    return topic in topic_closure(s.topics)


def _of_design(design: str, s: Summary) -> bool:
    return (s.design or "unclassified") == design


def _last_members(items: list[Summary], touched: dict[str, tuple[Summary | None, Summary | None]],
                  belongs: Callable[[Summary], bool] | None = None, excluded: Collection[str] = ()) -> list[Summary]:
    """A list as the last run had it: ``items`` (this run's, in the library's order) without the touched studies,
    with their last published form put back where it ``belongs`` (anywhere when None) and its stance is browsed
    (not ``excluded``). With neither: the last run's published studies in order."""
    out = list(itertools.compress(items, map(operator.not_, map(touched.__contains__, map(_key_of, items)))))
    for was, _ in touched.values():
        if was is not None and was.stance not in excluded and (belongs is None or belongs(was)):
            bisect.insort(out, was, key=_sort_key)
    return out


def _members(items: list[Summary], wanted: set[str] | None, sets: list[tuple[str, ...]] | None = None,
             distinct: Collection[tuple[str, ...]] | None = None) -> dict[str, list[Summary]]:
    """{topic: its studies among ``items``, in their order} for the ``wanted`` topics (all when None); a study
    belongs to its topics and their ancestors. ``sets``: each item's topics, ``distinct``: those sets once each
    (when the caller has them)."""
    members: dict[str, list[Summary]] = defaultdict(list)
    if wanted is None:
        for s in items:
            for t in topic_closure(s.topics):
                members[t].append(s)
        return members
    if sets is None or distinct is None:
        sets = list(map(_topics_of, items))
        distinct = set(sets)
    for topic in wanted:  # a few topics (those a republish touched): one pass in C each
        holding = {topics for topics in distinct if topic in topic_closure(topics)}
        if holding:
            members[topic] = list(itertools.compress(items, map(holding.__contains__, sets)))
    return members


def _write_lists(writer: SiteWriter, published: list[Summary], ordered: list[Summary], entries: Encyclopedia,
                 config: PublishConfig, cache: CiteCache, records: dict[str, Record], lib: Library,
                 touched: dict[str, tuple[Summary | None, Summary | None]] | None,
                 old_ordered: list[Summary] | None = None) -> None:
    """Every list, feed and entry page; with ``touched`` (the studies changed since the last run, in their last
    and current published form), topic, design and entry pages none of them was or is on are kept as they are,
    and with ``old_ordered`` (the last run's published studies in order) so are the library's list pages whose
    rows did not change."""
    site = config.site_title
    versions = [] if touched is None else [s for pair in touched.values() for s in pair if s is not None]
    browse_versions = [s for s in versions if s.stance not in config.browse_exclude_stances]
    dirty_topics = {t for s in browse_versions for t in topic_closure(s.topics)}
    dirty_designs = {s.design or "unclassified" for s in browse_versions}
    dirty_titles = {s.title.casefold() for s in versions}
    dirty_entries = {slug for s in versions for slug, _, _ in s.links}
    dirty_entries |= {e.slug for e in entries if any(t.casefold() in dirty_titles for t in e.pending)}
    writer.write("assets/site.css", CSS)
    writer.write("assets/search.js", SEARCH_JS)
    writer.write("assets/copy.js", COPY_JS)
    _feeds(writer, "feed", site, "library/index.html", published, config)
    search_form = ('<form id="search" role="search" data-index="search/" hidden><label for="q">Search title, '
                   'authors, abstract, topics and design</label> <input id="q" type="search" name="q"> '
                   '<button type="submit">Search</button></form>\n<div id="search-results"></div>\n')
    list_pages(writer.write, "library", "index", "Research library", f"{len(published)} studies, newest first.",
               ordered, config, before_list=search_form, scripts='<script src="../assets/search.js"></script>\n',
               feeds=(("application/rss+xml", "../feed.rss.xml", f"{site} (RSS)"),
                      ("application/atom+xml", "../feed.atom.xml", f"{site} (Atom)")),
               unchanged=(old_ordered, writer.keep) if touched is not None and old_ordered is not None else None)
    excluded = config.browse_exclude_stances
    browse = [s for s in ordered if s.stance not in excluded]
    # topics: every published study's topics are listed; browse pages list those of a stance not excluded. The
    # counts come from the few distinct topic sets; the studies of a topic are gathered only for the pages made
    browse_sets = list(map(_topics_of, browse))
    per_set = Counter(browse_sets)
    found: set[str] = set()
    for topics in set(map(_topics_of, ordered)) if len(browse) < len(ordered) else per_set:
        found.update(topic_closure(topics))
    all_topics = sorted(found)
    counts: Counter[str] = Counter()
    for topics, n in per_set.items():
        for t in topic_closure(topics):
            counts[t] += n
    members = _members(browse, None if touched is None else dirty_topics, browse_sets, per_set.keys())
    tree_rows = []
    for topic in all_topics:
        slug = topic_slug(topic)
        count = counts.get(topic, 0)
        depth = topic.count(">")
        name = topic.rpartition(">")[2].strip()
        tree_rows.append(f'<li style="margin-left:{depth * 1.5}em"><a href="{slug}.html">{esc(name)}</a> '
                         f"({count})</li>")
        children = [t for t in all_topics if t.startswith(topic + " >") and t.count(">") == depth + 1]
        sub = "".join(f'<li><a href="{topic_slug(c)}.html">{esc(c.rpartition(">")[2].strip())}</a> '
                      f"({counts.get(c, 0)})</li>" for c in children)
        if touched is not None and topic not in dirty_topics and _keep_list(writer, "topics", slug, count,
                                                                             config.page_size):
            continue
        items = members.get(topic) or _members(browse, {topic}).get(topic, [])
        sub_html = f"<h2>Subtopics</h2><ul>{sub}</ul>\n" if sub else ""
        links = _feeds(writer, f"topics/{slug}", topic, f"topics/{slug}.html", items, config)
        list_pages(writer.write, "topics", slug, topic,
                   f"{len(items)} studies (including subtopics). "
                   f'Feeds: <a href="{slug}.rss.xml">RSS</a>, <a href="{slug}.atom.xml">Atom</a>.',
                   items, config, before_list=sub_html, feeds=links, keep_first=False,
                   unchanged=None if touched is None else (_last_members(
                       items, touched, partial(_in_topic, topic), excluded), writer.keep))
    writer.write("topics/index.html", page("Topics", f"<h1>Topics</h1>\n<ul>\n{''.join(tree_rows)}\n</ul>", "../",
                                           site))
    # designs
    design_names = list(map(_design_of, browse))  # counted in C; a design's studies gathered only when needed
    design_counts = Counter(design_names)
    if "" in design_counts:
        design_counts["unclassified"] += design_counts.pop("")
    rows = []
    for design in sorted(design_counts):
        slug = topic_slug(design)
        count = design_counts[design]
        rows.append(f'<li><a href="{slug}.html">{esc(design)}</a> ({count})</li>')
        if touched is not None and design not in dirty_designs and _keep_list(writer, "designs", slug, count,
                                                                              config.page_size, feeds=False):
            continue
        names = {design, ""} if design == "unclassified" else {design}
        items = list(itertools.compress(browse, map(names.__contains__, design_names)))
        list_pages(writer.write, "designs", slug, f"Study design: {design}", f"{count} studies.", items, config,
                   unchanged=None if touched is None else (_last_members(
                       items, touched, partial(_of_design, design), excluded), writer.keep))
    writer.write("designs/index.html", page("Study designs", f"<h1>Study designs</h1>\n<ul>{''.join(rows)}</ul>",
                                            "../", site))
    # encyclopedia entries
    by_entry: dict[str, list[Summary]] = defaultdict(list)
    for s in itertools.compress(published, map(bool, map(_links_of, published))):  # the few linked studies
        for slug, _, _ in s.links:
            if s not in by_entry[slug]:
                by_entry[slug].append(s)
    titles: set[str] | None = None  # made for the first entry block written
    entry_rows = []
    for entry in entries:
        linked = by_entry.get(entry.slug, [])
        entry_rows.append(f'<li><a href="{entry.slug}.html">{esc(entry.title)}</a> ({len(linked)} studies)</li>')
        if touched is not None and entry.slug not in dirty_entries and all(
                writer.keep(f"entries/{entry.slug}{suffix}")
                for suffix in (".fragment.html", ".json", ".rss.xml", ".atom.xml", ".html")):
            continue
        citations = {}
        for s in linked:
            if any(slug == entry.slug and kind == "cited" for slug, kind, _ in s.links):
                record = records.get(s.key) or _shown(lib, s.key)
                citations[s.key] = cache.get(record).get("vancouver", "")
        if titles is None:
            titles = {s.title.casefold() for s in published}
        fragment, data = entry_block(entry, linked, citations, titles, config)
        writer.write(f"entries/{entry.slug}.fragment.html", fragment)
        writer.write(f"entries/{entry.slug}.json", json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        links = _feeds(writer, f"entries/{entry.slug}", entry.title, f"entries/{entry.slug}.html", linked, config)
        own = (f'<p><a href="{esc(entry.url)}">Read the entry</a></p>' if entry.url.startswith(("http://", "https://"))
               else "")
        body = (f"<h1>{esc(entry.title)}</h1>\n<p>{esc(entry.summary)}</p>\n{own}\n{fragment}"
                f'<p>For the site: <a href="{entry.slug}.fragment.html">HTML fragment</a>, '
                f'<a href="{entry.slug}.json">JSON</a>, <a href="{entry.slug}.rss.xml">RSS</a>, '
                f'<a href="{entry.slug}.atom.xml">Atom</a>.</p>')
        writer.write(f"entries/{entry.slug}.html", page(entry.title, body, "../", site, feeds=links))
    writer.write("entries/index.html", page("Encyclopedia entries",
                                            f"<h1>Encyclopedia entries</h1>\n<ul>{''.join(entry_rows)}</ul>", "../",
                                            site))
    home = (f"<h1>{esc(site)}</h1>\n<p>{esc(config.description)}</p>\n<ul>"
            f'<li><a href="library/index.html">Research library</a> ({len(published)} studies)</li>'
            '<li><a href="topics/index.html">Topics</a></li><li><a href="designs/index.html">Study designs</a></li>'
            '<li><a href="entries/index.html">Encyclopedia entries</a></li>'
            '<li><a href="library.jsonl">JSON Lines dump</a></li></ul>')
    writer.write("index.html", page(site, home, "", site,
                                    feeds=(("application/rss+xml", "feed.rss.xml", f"{site} (RSS)"),)))
    urls = [("index.html", ""), ("library/index.html", "")]
    urls += [(f"topics/{topic_slug(t)}.html", "") for t in all_topics]
    urls += [(f"entries/{e.slug}.html", "") for e in entries]
    urls += zip(map("library/{}.html".format, map(_slug_of, published)), map(_lastmod, map(_modified_of, published)),
                strict=True)
    for name, text in sitemap_files(urls, config.base_url or LOCAL).items():
        writer.write(name, text)


def _shard_count(n: int) -> int:
    count = 1
    while count * SHARD_SIZE < n:
        count *= 2
    return count


def _write_search(writer: SiteWriter, outdir: Path, published: list[Summary], changed: set[str],
                  gone: set[str], old_count: int) -> int:
    """Search documents in JSON shards (``library/search/N.json``, by a hash of the key): an edit rewrites one
    shard. Documents of unchanged studies are taken from the shard files of the last run."""
    count = _shard_count(len(published))
    if count == old_count and len(changed) + len(gone) < count:
        done = _patch_search(writer, outdir, published, changed, gone, count)
        if done:
            return count
    shard_of = {s.key: zlib.crc32(s.key.encode()) % count for s in published}
    dirty = {shard_of[k] for k in changed if k in shard_of}
    dirty |= {zlib.crc32(k.encode()) % count for k in gone}
    old_docs: dict[str, list[str]] = {}
    reread: Sequence[int] = sorted(dirty)
    if count != old_count:
        dirty = set(range(count))
        reread = range(old_count)
    for i in reread:
        try:
            for doc in json.loads((outdir / f"library/search/{i}.json").read_text(encoding="utf-8")):
                old_docs[doc[-1]] = doc
        except (OSError, ValueError):
            continue
    buckets: dict[int, list[list[str]]] = defaultdict(list)
    for s in published:
        shard = shard_of[s.key]
        if shard not in dirty:
            continue
        doc = [*s.search, s.key] if s.search else old_docs.get(s.key)
        if doc is None:  # no document from the last run: should not happen; fall back to the summary
            doc = [s.slug, s.title, s.authors, str(s.year or ""), s.journal, s.design, "; ".join(s.topics), "", s.key]
        buckets[shard].append(doc)
    for i in range(count):
        rel = f"library/search/{i}.json"
        if i in dirty:
            writer.write(rel, json.dumps(buckets.get(i, []), ensure_ascii=False, separators=(",", ":")))
        elif not writer.keep(rel):
            writer.write(rel, json.dumps([], separators=(",", ":")))
    _write_search_meta(writer, count, len(published))
    return count


def _write_search_meta(writer: SiteWriter, count: int, documents: int) -> None:
    writer.write("library/search/meta.json", json.dumps({"shards": count, "documents": documents,
                                                          "fields": ["slug", "title", "authors", "year", "journal",
                                                                     "design", "topics", "abstract", "key"]}))


def _patch_search(writer: SiteWriter, outdir: Path, published: list[Summary], changed: set[str], gone: set[str],
                  count: int) -> bool:
    """:func:`_write_search` after a few edits with the same number of shards: only the shards of the changed and
    gone studies are made, from their last-run file (its unchanged documents) and the changed studies' new ones,
    in the library's order, without hashing every key. False, with nothing written, when a shard file of the last
    run cannot be read (the caller then makes the shards from scratch)."""
    def shard(key: str) -> int:
        return zlib.crc32(key.encode()) % count

    dirty = {shard(k) for k in changed | gone}
    if writer.force or not all(f"library/search/{i}.json" in writer.old for i in range(count)):
        return False
    docs: dict[int, dict[str, list[str]]] = {}
    for i in dirty:
        rel = f"library/search/{i}.json"
        try:
            docs[i] = {doc[-1]: doc for doc in json.loads((outdir / rel).read_text(encoding="utf-8"))}
        except (OSError, ValueError, TypeError, IndexError):
            return False
    position = dict(zip(map(attrgetter("key"), published), range(len(published)), strict=True))
    for key in changed | gone:
        docs[shard(key)].pop(key, None)
    for key in changed:
        if key in position:
            s = published[position[key]]
            if not s.search:
                return False
            docs[shard(key)][key] = [*s.search, key]
    for i in range(count):
        rel = f"library/search/{i}.json"
        if i in dirty:
            members = sorted((k for k in docs[i] if k in position), key=position.__getitem__)
            writer.write(rel, json.dumps([docs[i][k] for k in members], ensure_ascii=False, separators=(",", ":")))
        else:
            writer.keep(rel)
    _write_search_meta(writer, count, len(published))
    return True


def _dump_line(item: dict[str, Any], slug: str, config: PublishConfig) -> bytes:
    path = f"library/{slug}.html"
    line = dict(item)
    line["reflib:slug"] = slug
    line["reflib:page"] = config.absolute(path) or path
    return _DUMP_JSON.encode(line).encode("utf-8")


def _write_dump(writer: SiteWriter, outdir: Path, published: list[Summary], records: dict[str, Record],
                made: dict[str, bytes], lib: Library, config: PublishConfig, old_keys: list[str],
                old_sizes: list[int]) -> tuple[list[str], list[int]]:
    """``library.jsonl``: one CSL-JSON item per published study (with reflib's fields under ``custom`` and the
    study's slug and URL), in file order; returns the keys and the byte length of each line (without its
    newline). The same studies as in the last run with a few edited: their lines are patched into a copy of the
    last run's file (:meth:`SiteWriter.patch`, the rest copied by the kernel); else lines of unchanged studies
    are copied from the last run's file."""
    keys = list(map(_key_of, published))
    if keys == old_keys and records.keys().isdisjoint(keys) and writer.keep("library.jsonl"):
        return keys, old_sizes
    place = dict(zip(keys, range(len(keys)), strict=True))  # key -> its line

    def slug(key: str) -> str:
        return published[place[key]].slug

    if keys == old_keys and len(records) < 1000 and len(old_sizes) == len(keys) and "library.jsonl" in writer.old:
        patches = sorted((place[key], key) for key in records if key in place)
        starts = list(itertools.accumulate((size + 1 for size in old_sizes), initial=0))
        lines = {i: made.get(key) or _dump_line(csl_item(records[key], keep_custom=True), slug(key), config)
                 for i, key in patches}
        if writer.patch("library.jsonl", starts[-1], [(starts[i], old_sizes[i], new) for i, new in lines.items()]):
            sizes = list(old_sizes)
            for i, new in lines.items():
                sizes[i] = len(new)
            return keys, sizes
    data = b""
    if old_keys and "library.jsonl" in writer.old:
        try:
            data = (outdir / "library.jsonl").read_bytes()
        except OSError:
            data = b""
    lines_old = data.split(b"\n") if data else []
    old_lines = dict(zip(old_keys, lines_old, strict=False))
    out: list[bytes] = []
    for key in keys:
        line = made.get(key) or (old_lines.get(key) if key not in records else None)
        if line is None:
            record = records.get(key) or _shown(lib, key)
            line = _dump_line(csl_item(record, keep_custom=True), slug(key), config)
        out.append(line)
    writer.write("library.jsonl", b"\n".join(out) + (b"\n" if out else b""))
    return keys, [len(line) for line in out]
