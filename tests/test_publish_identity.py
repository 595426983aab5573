"""The optimized publish writes the same bytes as the publish code before its speed work (main at 8437dca): the
SHA-1 of every file of the site, on the bundled library (with a hostile record) and on a synthetic library of 300
records, after the first publish, after a republish that follows an edit, a new record and a removed one, and
after one more edit alone.

The expected hashes (tests/golden/publish/manifests.json) were written by that earlier code: run this module as a
script (``python -m tests.test_publish_identity OUT.json``) with the code to take them from first on the path.
A deliberate change of the site's pages must regenerate them, and say so in its commit."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest

from .test_publish import HOSTILE  # the record with every injection the pages must neutralize

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "publish" / "manifests.json"


def _manifest(site: Path) -> dict[str, str]:
    return {path.relative_to(site).as_posix(): hashlib.sha1(path.read_bytes()).hexdigest()
            for path in sorted(site.rglob("*")) if path.is_file() and ".reflib-publish" not in path.parts}


def build_manifests(work: Path) -> dict[str, dict[str, str]]:
    """{run name: {site path: sha1}} for the six runs the golden file holds."""
    from benchmarks.synth import write_library
    from library import Library
    from library.evidence.encyclopedia import load_entries
    from library.publish import PublishConfig, publish_site

    entries = load_entries(ROOT / "encyclopedia.toml")
    out: dict[str, dict[str, str]] = {}
    bundled = work / "bundled.bib"
    bundled.write_text((ROOT / "references.bib").read_text(encoding="utf-8") + HOSTILE, encoding="utf-8")
    synthetic = write_library(work / "synthetic.bib", 300, seed=41)
    for name, bib, config in (("bundled", bundled, PublishConfig()),
                              ("synthetic", synthetic, PublishConfig(base_url="https://example.org/library/",
                                                                     page_size=40))):
        site = work / f"{name}-site"
        publish_site(Library.load(bib), site, entries, config)
        out[f"{name}-first"] = _manifest(site)
        lib = Library.load(bib)
        keys = lib.keys()
        record = lib.get(keys[len(keys) // 2])
        record.title = record.title + " (corrected)"
        lib.update_many([record], stamp=False)  # no date of today in the pages
        lib.remove(keys[-1])
        new = lib.get(keys[0])
        new.key = "identitynew2025"
        new.extra.pop("slug", None)
        new.title = "A new study on tubal flushing"
        lib.add(new, stamp=False)
        lib.save()
        publish_site(Library.load(bib), site, entries, config)
        out[f"{name}-republish"] = _manifest(site)
        lib = Library.load(bib)  # an edit alone: the dump is patched in place, lists are partly kept
        record = lib.get(lib.keys()[3])
        record.title = "Corrected: " + record.title
        record.abstract = record.abstract + " An added sentence."
        lib.update_many([record], stamp=False)
        lib.save()
        publish_site(Library.load(bib), site, entries, config)
        out[f"{name}-edit"] = _manifest(site)
    return out


@pytest.mark.slow  # about 5 s
def test_site_bytes_are_those_of_the_code_before_the_speed_work(tmp_path: Path) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = build_manifests(tmp_path)
    assert set(got) == set(expected)
    for run, files in expected.items():
        assert set(got[run]) == set(files), f"{run}: different files"
        differing = sorted(path for path, digest in files.items() if got[run][path] != digest)
        assert not differing, f"{run}: {len(differing)} files differ, e.g. {differing[:5]}"
        assert len(files) > 50  # not vacuous


if __name__ == "__main__":
    target = Path(sys.argv[1])
    scratch = target.parent / "publish-identity-work"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    target.write_text(json.dumps(build_manifests(scratch), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    shutil.rmtree(scratch, ignore_errors=True)
