"""``reflib publish`` on 100k records: first publish and republish after a one-record edit (targets 60 s / 5 s).

Both runs are real and end to end: the first publish formats four citations per study (through
``library.export.cite_many``: the compiled styles of library.export.csl_compiled, citeproc-py for what they do
not cover; the same strings as ``cite_this`` per record), writes every file (~200k) and the state; the
republish after an edit reads the edited library, formats the edited study and takes every other study's
citations from the persistent cache. Wall-clock and CPU seconds are both shown: on a shared machine the CPU time
of the process is the one-core figure, split into user mode (reflib's own work) and system (the kernel writing
the files). ``REFLIB_BENCH_PUBLISH_N`` sets the size (default 100,000).

Why the system time varies so much on the benchmark VM (traced with ``perf`` on 2026-12-07): its root file system
is ext4 without a journal, where the inode allocator passes over inodes freed in the last 5 seconds (305 while
their inode-table block is dirty), looking each one up in the buffer cache (``recently_deleted`` in
fs/ext4/ialloc.c). Within ~5 minutes of deleting many files (an earlier site, a test run's temporary folders), a
folder of tens of thousands of new files costs up to ~0.7 ms of kernel time per file instead of ~0.1 (20,000 files
of 9 KB: 5-15 s against 1.2 s), and 70% of the samples of such a run are in ``find_inode_bit`` /
``recently_deleted``. A first publish of 100,000 studies measured away from deletions takes ~22 s of system time
(page clearing and copying for the 2.3 GB written); right after deleting a site, 34-130 s. So do not time a
publish within minutes of deleting a site; this bench deletes its site only after both measurements.

The citation figures per study (1,000 synthetic records through the public API: one by one, citeproc-py alone,
the site's batches) are printed first, for comparison with earlier runs.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks.run import WORK, Report
from benchmarks.synth import write_library

N = int(os.environ.get("REFLIB_BENCH_PUBLISH_N", "100000"))


def _user_system(before: os.times_result, digits: int = 0) -> str:
    """The CPU time since ``before`` split into user mode (reflib's Python) and system (the kernel: creating the
    files and putting them into the page cache; see the module's note on why it varies)."""
    now = os.times()
    return f"user {now.user - before.user:.{digits}f} + system {now.system - before.system:.{digits}f}"


def run(report: Report) -> None:
    from library import Library
    from library.evidence.encyclopedia import load_entries
    from library.export import cite_many, cite_this
    from library.publish import PublishConfig, publish_site
    from library.publish.cites import CiteCache
    from library.publish.site import RENDER_BATCH

    WORK.mkdir(exist_ok=True)
    root = Path(__file__).resolve().parent.parent
    entries = load_entries(root / "encyclopedia.toml")
    config = PublishConfig(base_url="https://example.org/library/")
    # citations per study, public API, cold cache: one record at a time, citeproc-py alone (the reference
    # engine) and in the site's batches through the cite cache (the compiled styles, the default engine)
    small = write_library(WORK / "publish-1000.bib", 1000, seed=23)
    records = list(Library.load(small, use_cache=False).records())
    cite_this(records[0], "html")  # styles parsed once
    started = time.process_time()
    for record in records[1:101]:
        cite_this(record, "html")
    alone = (time.process_time() - started) / 100
    report.add("publish", "citations: 4 styles per study, one by one (cite_this)", f"{alone * 1000:.2f} ms")
    started = time.process_time()
    cite_many(records[:200], "html", engine="citeproc")
    reference = (time.process_time() - started) / 200
    report.add("publish", "citations: 4 styles per study, citeproc-py alone (batch)", f"{reference * 1000:.2f} ms")
    cache = CiteCache(None)
    started = time.process_time()
    for start in range(0, len(records), RENDER_BATCH):
        cache.get_many(records[start:start + RENDER_BATCH])
    per_study = (time.process_time() - started) / len(records)
    report.add("publish", f"citations: 4 styles per study, batches of {RENDER_BATCH}", f"{per_study * 1000:.2f} ms")

    bib = write_library(WORK / f"publish-{N}.bib", N, seed=29)
    Library.load(bib)  # index cache built (as after any earlier command)
    out = WORK / f"publish-{N}-site"
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    started, cpu, times = time.perf_counter(), time.process_time(), os.times()
    first = publish_site(Library.load(bib), out, entries, config)
    wall, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    report.add("publish", f"{N:,} first publish, real citations ({first.written:,} files, load {load:.1f})",
               f"{wall:.0f} s ({first_cpu:.0f} cpu: {_user_system(times)})", "<= 60 s")
    steps = ", ".join(f"{k} {v:.1f}" for k, v in first.cpu_timings.items())
    report.add("publish", f"  steps (cpu s): {steps}", "")

    lib = Library.load(bib)
    key = lib.keys()[N // 2]
    record = lib.get(key)
    record.title = record.title + " (corrected)"
    lib.update(record)
    lib.save()
    del lib, record  # the edit is another command's work: the publish starts without that library in memory
    load = os.getloadavg()[0]
    started, cpu, times = time.perf_counter(), time.process_time(), os.times()
    again = publish_site(Library.load(bib), out, entries, config)
    edit, edit_cpu = time.perf_counter() - started, time.process_time() - cpu
    report.add("publish", f"{N:,} republish after a one-record edit ({again.written} files, load {load:.1f})",
               f"{edit:.1f} s ({edit_cpu:.1f} cpu: {_user_system(times, 1)})", "<= 5 s")
    steps = ", ".join(f"{k} {v:.2f}" for k, v in again.cpu_timings.items())
    report.add("publish", f"  steps (cpu s): {steps}", "")
    shutil.rmtree(out, ignore_errors=True)
    _real(report, entries, config)


def _real(report: Report, entries: Any, config: Any) -> None:
    """A first publish of the real corpus as one library (every record the readers take from ../shared/corpus,
    imported as `reflib import` would, identifiers only): real records have hundreds of shapes per citation style
    where the synthetic ones have one, so this is where a slow path of the compiled styles shows (a group that
    did not compile sent 12% of these records to citeproc-py until 2026-12-07)."""
    from benchmarks.cite_dump import CORPUS, corpus_records
    from ingest.importer import import_records
    from library import Library
    from library.export import compiled_coverage
    from library.publish import publish_site

    if not CORPUS.is_dir():
        report.add("publish", "real corpus first publish", "skipped", "needs ../shared/corpus")
        return
    records = corpus_records()
    bib = WORK / "publish-real.bib"
    bib.unlink(missing_ok=True)
    lib = Library.create(bib)
    import_records(lib, records, source="corpus", fuzzy=False)
    lib.save()
    out = WORK / "publish-real-site"
    shutil.rmtree(out, ignore_errors=True)
    started, cpu, times = time.perf_counter(), time.process_time(), os.times()
    done = publish_site(Library.load(bib), out, entries, config)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    report.add("publish", f"real corpus first publish ({done.studies:,} studies)",
               f"{wall:.0f} s ({used:.0f} cpu: {_user_system(times)})",
               f"{used / max(done.studies, 1) * 1000:.2f} ms cpu per study")
    # after the timed run: it must compile the styles' shapes itself
    stored = list(Library.load(bib).records())
    uncovered = []
    for style in ("apa", "vancouver", "ama", "mla"):
        covered = compiled_coverage(stored, style)
        uncovered.append(f"{style} {len(covered) - sum(covered)}")
    report.add("publish", "  real corpus records the compiled styles leave to citeproc-py", ", ".join(uncovered),
               f"of {len(stored):,}")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    run(Report())
