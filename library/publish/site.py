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
import re
import time
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..evidence.encyclopedia import Encyclopedia
from ..export.csljson import csl_item
from ..model import Record
from ..store import Library
from .cites import CiteCache, citation_fingerprint
from .config import PublishConfig
from .feeds import LOCAL, atom_feed, newest, rss_feed
from .markup import COPY_JS, CSS, SEARCH_JS, esc, page
from .output import STATE_DIR, SiteWriter, StudyState, load_state, mark_writing, save_state
from .pages import entry_block, list_pages, sitemap_files, topic_closure
from .slugs import is_slug, make_unique, slugify, topic_slug
from .study import Summary, head_metadata, old_slugs_of, study_body, summarize

__all__ = ["PublishReport", "publish_site"]

TEMPLATE_VERSION = "1"
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
    names = set(taken) | reserved
    missing: list[Record] = []
    for key, record in records.items():
        slug = record.extra.get("slug", "").strip()
        if is_slug(slug) and taken.get(slug, key) == key:
            taken[slug] = key
            names.add(slug)
        else:
            missing.append(record)
    for record in records.values():
        names.update(old_slugs_of(record))
    for record in missing:
        new = make_unique(slugify(record.title or record.key), names)
        taken[new] = record.key
        record.extra["slug"] = new
    changed = {r.key: {"slug": r.extra["slug"]} for r in missing}
    for key, record in records.items():
        before = previous.get(key, "")
        olds = old_slugs_of(record)
        if is_slug(before) and before != record.extra["slug"] and before not in olds:
            record.extra["slug_old"] = " ".join((*olds, before))
            changed.setdefault(key, {})["slug_old"] = record.extra["slug_old"]
    if changed:
        lib.set_fields(changed)
        lib.save()
    return len(missing), bool(changed)


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
                entries: Encyclopedia, config: PublishConfig) -> str:
    path = f"library/{summary.slug}.html"
    body = study_body(record, summary.slug, cites, entries, config)
    if related:
        rows = "".join(f'<li><a href="{r.slug}.html">{esc(r.title or "(untitled)")}</a> '
                       f'<span class="meta">{esc(r.authors)} {r.year or ""}</span></li>' for r in related)
        body += f"\n<section><h2>Related studies</h2><ul>{rows}</ul></section>"
    return page(record.title or "(untitled)", body, "../", config.site_title,
                head=head_metadata(record, config.absolute(path)), canonical=config.absolute(path),
                scripts='<script src="../assets/copy.js"></script>\n')


def _redirect(target: str, config: PublishConfig) -> str:
    return page("Moved", f'<p>This study has moved to <a href="{target}">{target}</a>.</p>', "../",
                config.site_title, head=f'<meta http-equiv="refresh" content="0; url={target}">\n')


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
    old_studies: dict[str, StudyState] = state.get("studies", {}) if same_site else {}
    digests = lib.entry_digests()
    changed = [k for k, d in digests.items() if k not in old_studies or old_studies[k][0] != d.hex()]
    records = {k: lib.get(k, keep=False) for k in changed}
    taken = {old_studies[k][2].slug: k for k in digests if k in old_studies and k not in records}
    reserved = {o for k in digests if k in old_studies and k not in records for o in old_studies[k][2].old_slugs}
    previous = {k: v[2].slug for k, v in state.get("studies", {}).items() if k in records}
    report.slugs_assigned, saved = _assign_slugs(lib, records, taken, reserved, previous)
    if saved:
        digests = lib.entry_digests()  # the saved text: next run compares with these
    report.parsed = len(records)
    mark("read")

    cache = cites or CiteCache(outdir / STATE_DIR / "cite.sqlite")
    summaries: dict[str, Summary] = {}
    for key in digests:
        if key in records:
            summaries[key] = summarize(records[key], records[key].extra["slug"])
        else:
            summaries[key] = old_studies[key][2]
    published = [s for s in summaries.values() if s.status in config.statuses]
    report.studies = len(published)
    ordered = _order(published)
    # what changed since the last run: edited, added and removed studies (their last and current published form)
    statuses = config.statuses
    touched: dict[str, tuple[Summary | None, Summary | None]] = {}
    for key in [*records, *(k for k in old_studies if k not in digests)]:
        was = old_studies[key][2] if key in old_studies else None
        now = summaries.get(key)
        touched[key] = (was if was is not None and was.status in statuses else None,
                        now if now is not None and now.status in statuses else None)
    incremental = bool(old_studies) and len(touched) * 20 < max(len(published), 1)
    old_ordered = _old_order(ordered, touched) if incremental else None
    related, affected = _related(ordered, old_ordered, touched, {s.key: s for s in published})
    mark("summaries")

    writer = SiteWriter(outdir, state.get("files", {}), force=force)  # content hashes: valid across settings
    if interrupted:
        writer.remove_temps()
    mark_writing(outdir)
    dump_lines: dict[str, bytes] = {}  # JSON Lines of parsed studies, made from the CSL item built for the cache
    new_studies: dict[str, StudyState] = {}
    hexes = {k: d.hex() for k, d in digests.items()}

    def stored(s: Summary) -> Summary:  # an unchanged study keeps the object it was loaded as
        return s._replace(search=()) if s.key in records else s

    to_render: list[tuple[Summary, str, list[Summary]]] = []
    for s in published:
        old = old_studies.get(s.key)
        html_path, ris_path = f"library/{s.slug}.html", f"library/{s.slug}.ris"
        if s.key not in affected and old is not None:  # same record, same neighbours: the same page
            if writer.keep(html_path) and writer.keep(ris_path):
                new_studies[s.key] = old
                continue
            near = [summaries[k] for k in old[3].split() if k in summaries]
        else:
            near = related[s.key]
        # what a study page shows of its related studies (slug, title, authors, year) comes from their records
        page_key = hashlib.sha1("|".join([hexes[s.key], *[hexes[r.key] for r in near]]).encode()).hexdigest()
        if old is not None and old[1] == page_key and writer.keep(html_path) and writer.keep(ris_path):
            new_studies[s.key] = (hexes[s.key], page_key, old[2], old[3])
            continue
        to_render.append((s, page_key, near))
    for start in range(0, len(to_render), RENDER_BATCH):
        batch = to_render[start:start + RENDER_BATCH]
        batch_records = [records.get(s.key) or lib.get(s.key, keep=False) for s, _, _ in batch]
        items = [csl_item(record, keep_custom=True) for record in batch_records]
        formatted_all = cache.get_many(batch_records, items)
        for (s, page_key, near), record, item, formatted in zip(batch, batch_records, items, formatted_all,
                                                                strict=True):
            if s.key in records:
                dump_lines[s.key] = _dump_line(item, s.slug, config)
            writer.write(f"library/{s.slug}.html", _study_page(record, s, formatted, near, entries, config))
            writer.write(f"library/{s.slug}.ris", formatted["ris"] + "\n")
            report.rendered += 1
            new_studies[s.key] = (hexes[s.key], page_key, stored(s), " ".join(r.key for r in near))
    for s in summaries.values():  # unpublished studies keep their summary (no page)
        if s.key not in new_studies:
            new_studies[s.key] = (hexes[s.key], "", stored(s), "")
    report.cite_hits, report.cite_misses = cache.hits, cache.misses
    mark("study pages")

    # redirects: the study's earlier slugs (kept on the record in slug_old) lead to its page
    current = {s.slug for s in published}
    redirects: dict[str, str] = {}
    for s in published:
        for old_slug in s.old_slugs:
            if old_slug not in current and old_slug not in redirects:
                redirects[old_slug] = s.slug
    for old_slug, slug in sorted(redirects.items()):
        writer.write(f"library/{old_slug}.html", _redirect(f"{slug}.html", config))

    _write_lists(writer, published, ordered, entries, config, cache, records, lib,
                 touched if incremental else None, old_ordered)
    mark("lists, feeds, entries")
    now_published = {s.key for s in published}
    gone = {k for k, v in old_studies.items() if v[1] and k not in now_published}
    shards = _write_search(writer, outdir, published, set(records), gone, state.get("shards", 0) if same_site else 0)
    dump_keys, dump_sizes = _write_dump(writer, outdir, published, records, dump_lines, lib, config,
                                        state.get("dump_keys", []) if same_site else [],
                                        state.get("dump_sizes", []) if same_site else [])
    mark("search, dump")
    cache.close()
    report.removed = writer.remove_stale()
    save_state(outdir, {"global": global_hash, "studies": new_studies, "files": writer.new,
                        "shards": shards, "dump_keys": dump_keys, "dump_sizes": dump_sizes}, state)
    report.written, report.unchanged = writer.written, writer.unchanged
    mark("state")
    report.seconds = time.perf_counter() - started
    return report


def _sort_key(s: Summary) -> tuple[int, str, str]:
    return (-(s.year or 0), s.title.casefold(), s.key)


def _old_order(ordered: list[Summary], touched: dict[str, tuple[Summary | None, Summary | None]]) -> list[Summary]:
    """The last run's published studies in the library's order: this run's order without the touched studies,
    with their last published form put back in place."""
    out = [s for s in ordered if s.key not in touched] if touched else list(ordered)
    for old, _ in touched.values():
        if old is not None:
            bisect.insort(out, old, key=_sort_key)
    return out


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
    browse = [s for s in ordered if s.stance not in config.browse_exclude_stances]
    # topics
    members: dict[str, list[Summary]] = defaultdict(list)
    excluded = config.browse_exclude_stances
    found: set[str] = set()
    for s in ordered:  # the published studies in order: browse pages list those of a stance not excluded
        closure = topic_closure(s.topics)
        found.update(closure)
        if s.stance not in excluded:
            for t in closure:
                members[t].append(s)
    all_topics = sorted(found)
    tree_rows = []
    for topic in all_topics:
        slug = topic_slug(topic)
        items = members.get(topic, [])
        depth = topic.count(">")
        name = topic.rpartition(">")[2].strip()
        tree_rows.append(f'<li style="margin-left:{depth * 1.5}em"><a href="{slug}.html">{esc(name)}</a> '
                         f"({len(items)})</li>")
        children = [t for t in all_topics if t.startswith(topic + " >") and t.count(">") == depth + 1]
        sub = "".join(f'<li><a href="{topic_slug(c)}.html">{esc(c.rpartition(">")[2].strip())}</a> '
                      f"({len(members.get(c, []))})</li>" for c in children)
        if touched is not None and topic not in dirty_topics and _keep_list(writer, "topics", slug, len(items),
                                                                             config.page_size):
            continue
        sub_html = f"<h2>Subtopics</h2><ul>{sub}</ul>\n" if sub else ""
        links = _feeds(writer, f"topics/{slug}", topic, f"topics/{slug}.html", items, config)
        list_pages(writer.write, "topics", slug, topic,
                   f"{len(items)} studies (including subtopics). "
                   f'Feeds: <a href="{slug}.rss.xml">RSS</a>, <a href="{slug}.atom.xml">Atom</a>.',
                   items, config, before_list=sub_html, feeds=links)
    writer.write("topics/index.html", page("Topics", f"<h1>Topics</h1>\n<ul>\n{''.join(tree_rows)}\n</ul>", "../",
                                           site))
    # designs
    designs: dict[str, list[Summary]] = defaultdict(list)
    for s in browse:
        designs[s.design or "unclassified"].append(s)
    rows = []
    for design in sorted(designs):
        slug = topic_slug(design)
        rows.append(f'<li><a href="{slug}.html">{esc(design)}</a> ({len(designs[design])})</li>')
        if touched is not None and design not in dirty_designs and _keep_list(writer, "designs", slug,
                                                                              len(designs[design]), config.page_size,
                                                                              feeds=False):
            continue
        list_pages(writer.write, "designs", slug, f"Study design: {design}", f"{len(designs[design])} studies.",
                   designs[design], config)
    writer.write("designs/index.html", page("Study designs", f"<h1>Study designs</h1>\n<ul>{''.join(rows)}</ul>",
                                            "../", site))
    # encyclopedia entries
    by_entry: dict[str, list[Summary]] = defaultdict(list)
    for s in published:
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
                record = records.get(s.key) or lib.get(s.key, keep=False)
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
    lastmod = {s.slug: s.modified[:10] for s in published}
    urls = [("index.html", ""), ("library/index.html", "")]
    urls += [(f"topics/{topic_slug(t)}.html", "") for t in all_topics]
    urls += [(f"entries/{e.slug}.html", "") for e in entries]
    urls += [(f"library/{slug}.html", mod if _DAY.match(mod) else "") for slug, mod in lastmod.items()]
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
    writer.write("library/search/meta.json", json.dumps({"shards": count, "documents": len(published),
                                                          "fields": ["slug", "title", "authors", "year", "journal",
                                                                     "design", "topics", "abstract", "key"]}))
    return count


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
    keys = [s.key for s in published]
    if keys == old_keys and not any(k in records for k in keys) and writer.keep("library.jsonl"):
        return keys, old_sizes
    slugs = {s.key: s.slug for s in published}
    if keys == old_keys and len(records) < 1000 and len(old_sizes) == len(keys) and "library.jsonl" in writer.old:
        place = {key: i for i, key in enumerate(keys)} if len(records) > 8 else None
        patches = sorted(((place[key] if place is not None else keys.index(key)), key)
                         for key in records if key in slugs)
        starts = list(itertools.accumulate((size + 1 for size in old_sizes), initial=0))
        lines = {i: made.get(key) or _dump_line(csl_item(records[key], keep_custom=True), slugs[key], config)
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
            record = records.get(key) or lib.get(key, keep=False)
            line = _dump_line(csl_item(record, keep_custom=True), slugs[key], config)
        out.append(line)
    writer.write("library.jsonl", b"\n".join(out) + (b"\n" if out else b""))
    return keys, [len(line) for line in out]
