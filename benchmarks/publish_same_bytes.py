"""Publish fixed libraries into a folder, to compare two checkouts byte for byte (a speed change must not change
one byte of a site, nor of the library file after its slugs are stored).

    cd OLD_CHECKOUT && PYTHONPATH=. python -m benchmarks.publish_same_bytes /tmp/old
    cd NEW_CHECKOUT && PYTHONPATH=. python -m benchmarks.publish_same_bytes /tmp/new
    diff -r -x .reflib-publish /tmp/old /tmp/new   # sites, references.bib after the save, the inputs

Inputs: three synthetic libraries (benchmarks.synth, 5,000 records each, seeds 3, 5 and 7), the shared seed
library (../shared/data/seed-studies.bib, when present) and the repository's references.bib; each published
once from scratch, then checked (the library after the save agrees with a fresh parse of its file) and
published again (nothing may be written). The state folder (.reflib-publish) holds hashes of the citation
layer's source (library/export), so it differs between checkouts whose library/export differs; with
``REFLIB_CITATION_FINGERPRINT`` set to the other checkout's ``citation_fingerprint()`` it compares too.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(out: Path) -> int:
    from benchmarks.synth import write_library
    from library import Library
    from library.evidence.encyclopedia import load_entries
    from library.publish import PublishConfig, publish_site

    fingerprint = os.environ.get("REFLIB_CITATION_FINGERPRINT")
    if fingerprint:
        import library.publish.cites as cites_module
        import library.publish.site as site_module

        cites_module.citation_fingerprint = site_module.citation_fingerprint = lambda: fingerprint  # type: ignore[assignment]
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    entries = load_entries(ROOT / "encyclopedia.toml")
    config = PublishConfig(base_url="https://example.org/library/")
    inputs = {f"synth{seed}": write_library(out / f"in-synth{seed}.bib", 5000, seed=seed) for seed in (3, 5, 7)}
    seed_studies = ROOT.parent / "shared" / "data" / "seed-studies.bib"
    if seed_studies.is_file():
        inputs["seed"] = seed_studies
    inputs["repo"] = ROOT / "references.bib"
    for name, source in inputs.items():
        folder = out / name
        folder.mkdir()
        bib = folder / "references.bib"
        shutil.copyfile(source, bib)
        lib = Library.load(bib)
        started = time.process_time()
        report = publish_site(lib, folder / "site", entries, config)
        print(f"{name}: {report.studies} studies, {report.slugs_assigned} slugs stored, {report.written} files, "
              f"{time.process_time() - started:.1f} s cpu", file=sys.stderr)
        fresh = Library.load(bib, use_cache=False)
        if not lib.frame().equals(fresh.frame()) or lib.entry_digests() != fresh.entry_digests():
            print(f"{name}: the library after its save differs from a fresh parse of the file", file=sys.stderr)
            return 1
        again = publish_site(Library.load(bib), folder / "site", entries, config)
        if again.written or again.slugs_assigned:
            print(f"{name}: a second publish wrote {again.written} files", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(Path(sys.argv[1])))
