"""``reflib publish`` on 100k records: first publish and republish after a one-record edit (targets 60 s / 5 s).

The first publish formats four citations per study (through ``library.export.cite_many``: the compiled styles of
library.export.csl_compiled, citeproc-py for what they do not cover; the same strings as ``cite_this`` per
record). It is measured in two parts: (1) the whole publish on 100k records with a citation formatter that returns
placeholder strings (everything else — reading, slugs and their save, summaries, related studies, templating,
feeds, search shards, dump, sitemap, writing ~200k files, state — runs for real), and (2) the citations' cost per
study measured on 1,000 synthetic records through the public API, in the site's batches (and citeproc-py alone,
the reference engine, for comparison); the estimate is (1) + N x (2).
The republish after an edit runs entirely for real: the edited study's citations are formatted, the other
studies' citations come from the persistent cache (holding the placeholders of run 1). Wall-clock and CPU seconds
are both shown: on a shared machine the CPU time is the one-core figure.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.run import WORK, Report
from benchmarks.synth import write_library

N = 100_000


def run(report: Report) -> None:
    from library import Library
    from library.evidence.encyclopedia import load_entries
    from library.export import cite_many, cite_this
    from library.model import Record
    from library.publish import PublishConfig, publish_site
    from library.publish.cites import CiteCache
    from library.publish.markup import esc
    from library.publish.output import STATE_DIR
    from library.publish.site import RENDER_BATCH

    class Placeholder(CiteCache):
        def format(self, record: Record) -> dict[str, str]:
            return {style: esc(record.title) for style in ("apa", "vancouver", "mla", "ama")}

        def format_many(self, records: Sequence[Record]) -> list[dict[str, str]]:
            return [self.format(record) for record in records]

    root = Path(__file__).resolve().parent.parent
    entries = load_entries(root / "encyclopedia.toml")
    config = PublishConfig(base_url="https://example.org/library/")
    # (2) citations per study, public API, cold cache: one record at a time and in the site's batches; the
    # compiled styles (the default engine) and citeproc-py alone (the reference engine) for comparison
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

    bib = write_library(WORK / "publish-100k.bib", N, seed=29)
    Library.load(bib)  # index cache built (as after any earlier command)
    out = WORK / "publish-100k-site"
    shutil.rmtree(out, ignore_errors=True)
    started, cpu = time.perf_counter(), time.process_time()
    lib = Library.load(bib)
    first = publish_site(lib, out, entries, config, cites=Placeholder(out / STATE_DIR / "cite.sqlite"))
    structural, structural_cpu = time.perf_counter() - started, time.process_time() - cpu
    report.add("publish", f"{N:,} first publish without citeproc ({first.written:,} files)",
               f"{structural:.0f} s ({structural_cpu:.0f} cpu)")
    steps = ", ".join(f"{k} {v:.1f}" for k, v in first.cpu_timings.items())
    report.add("publish", f"  steps (cpu s): {steps}", "")
    report.add("publish", f"{N:,} first publish incl. citations (estimate, cpu)",
               f"{structural_cpu + N * per_study:.0f} s", "<= 60 s")

    lib = Library.load(bib)
    key = lib.keys()[N // 2]
    record = lib.get(key)
    record.title = record.title + " (corrected)"
    lib.update(record)
    lib.save()
    started, cpu = time.perf_counter(), time.process_time()
    again = publish_site(Library.load(bib), out, entries, config)  # the edited study formatted by citeproc
    edit, edit_cpu = time.perf_counter() - started, time.process_time() - cpu
    report.add("publish", f"{N:,} republish after a one-record edit ({again.written} files)",
               f"{edit:.1f} s ({edit_cpu:.1f} cpu)", "<= 5 s")
    steps = ", ".join(f"{k} {v:.2f}" for k, v in again.cpu_timings.items())
    report.add("publish", f"  steps (cpu s): {steps}", "")
    shutil.rmtree(out, ignore_errors=True)
