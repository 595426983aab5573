"""``reflib publish`` after edits writes exactly the site a publish from scratch writes: every file, byte for
byte, after each kind of edit (title, topics, journal, year, status, a new study, a removed study, a renamed
slug), on the bundled library (real citations) and on a synthetic library large enough for related-study
neighbourhoods and paginated lists to matter."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from benchmarks.synth import write_library
from library import Library
from library.evidence.encyclopedia import load_entries
from library.export import to_ris
from library.model import Record
from library.publish import PublishConfig, publish_site, site
from library.publish.cites import CiteCache
from library.publish.markup import esc
from library.publish.output import STATE_DIR

from .conftest import REFERENCES, ROOT

Edit = Callable[[Library, random.Random], str]


class TitleCites(CiteCache):
    """Citations from the title alone: the synthetic test is about the site's structure, not citeproc."""

    def format(self, record: Record) -> dict[str, str]:
        return {style: f"{style}: {esc(record.title)}" for style in ("apa", "vancouver", "mla", "ama")} | {
            "ris": to_ris([record])}

    def format_many(self, records: Sequence[Record], items: Sequence[dict[str, Any]] | None = None
                    ) -> list[dict[str, str]]:
        return [self.format(r) for r in records]


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and STATE_DIR not in p.parts}


def _assert_same_site(incremental: Path, fresh: Path, what: str) -> None:
    a, b = _tree(incremental), _tree(fresh)
    assert sorted(a) == sorted(b), f"{what}: files differ: {sorted(set(a) ^ set(b))[:10]}"
    differing = [p for p in a if a[p] != b[p]]
    assert not differing, f"{what}: {len(differing)} files differ, e.g. {differing[:10]}"


def _pick(lib: Library, rng: random.Random) -> Record:
    return lib.get(rng.choice(lib.keys()))


def _retitle(lib: Library, rng: random.Random) -> str:
    record = _pick(lib, rng)
    record.title = "Aaa " + record.title  # moves within its year
    lib.update(record)
    return f"title of {record.key}"


def _new_year(lib: Library, rng: random.Random) -> str:
    record = _pick(lib, rng)
    record.year = 1990 if (record.year or 0) > 2000 else 2024  # moves far in the list order
    lib.update(record)
    return f"year of {record.key}"


def _new_topics(lib: Library, rng: random.Random) -> str:
    record = _pick(lib, rng)
    record.topics = ["Surgery > Tubal catheterization"] if "Surgery" not in " ".join(record.topics) \
        else ["Diagnostics > HSG > Contrast media"]
    lib.update(record)
    return f"topics of {record.key}"


def _new_journal(lib: Library, rng: random.Random) -> str:
    record = _pick(lib, rng)
    record.journal = "Radiology" if record.journal != "Radiology" else "Human Reproduction"
    lib.update(record)
    return f"journal of {record.key}"


def _unverify(lib: Library, rng: random.Random) -> str:
    record = _pick(lib, rng)
    record.unverified = "doi"  # leaves the published set under statuses = ["verified"]
    lib.update(record)
    return f"status of {record.key}"


def _hostile(lib: Library, rng: random.Random) -> str:
    record = _pick(lib, rng)
    record.stance = "hostile"  # leaves the browse pages, stays in search
    lib.update(record)
    return f"stance of {record.key}"


def _remove(lib: Library, rng: random.Random) -> str:
    key = rng.choice(lib.keys())
    lib.remove(key)
    return f"removed {key}"


def _add(lib: Library, rng: random.Random) -> str:
    record = _pick(lib, rng).copy()
    record.key = f"added{rng.randrange(10**6)}"
    record.extra.pop("slug", None)
    record.extra.pop("slug_old", None)
    record.title = "A new study of " + record.title.lower()
    lib.add(record)
    return f"added {record.key}"


def _reslug(lib: Library, rng: random.Random) -> str:
    record = _pick(lib, rng)
    record.extra["slug"] = f"renamed-{rng.randrange(10**6)}"
    lib.update(record)
    return f"slug of {record.key}"


EDITS: tuple[Edit, ...] = (_retitle, _new_year, _new_topics, _new_journal, _unverify, _hostile, _remove, _add,
                           _reslug)


def _edit_and_compare(tmp_path: Path, bib: Path, config: PublishConfig, cites: Callable[[Path], CiteCache | None],
                      rounds: int, seed: int) -> None:
    entries = load_entries(ROOT / "encyclopedia.toml")
    out = tmp_path / "site"
    publish_site(Library.load(bib), out, entries, config, cites=cites(out))
    rng = random.Random(seed)
    for n in range(rounds):
        lib = Library.load(bib)
        what = EDITS[n % len(EDITS)](lib, rng)
        lib.save()
        report = publish_site(Library.load(bib), out, entries, config, cites=cites(out))
        assert report.parsed >= (0 if what.startswith("removed") else 1), what
        fresh = tmp_path / f"fresh-{n}"
        publish_site(Library.load(bib), fresh, entries, config, cites=cites(fresh))
        _assert_same_site(out, fresh, what)


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_republish_after_each_kind_of_edit_equals_a_fresh_publish(tmp_path: Path) -> None:
    bib = tmp_path / "references.bib"
    bib.write_text(REFERENCES.read_text(encoding="utf-8"), encoding="utf-8")
    config = PublishConfig(base_url="https://example.org/rl/", browse_exclude_stances=("hostile",), page_size=10,
                           unverified_note=True)
    _edit_and_compare(tmp_path, bib, config, lambda out: None, rounds=len(EDITS), seed=5)


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_republish_of_a_synthetic_library_equals_a_fresh_publish(tmp_path: Path) -> None:
    bib = write_library(tmp_path / "synthetic.bib", 600, seed=11)
    config = PublishConfig(base_url="https://example.org/rl/", browse_exclude_stances=("hostile",), page_size=25,
                           feed_size=10, statuses=("verified", "unknown"))
    _edit_and_compare(tmp_path, bib, config, lambda out: TitleCites(out / STATE_DIR / "cite.sqlite"),
                      rounds=2 * len(EDITS), seed=7)


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_republish_gathering_whole_pools_equals_a_fresh_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    """Pools that need a long walk (rare journals in a big library) are gathered in one pass: same site."""
    monkeypatch.setattr(site, "WALK_LIMIT", 4)
    bib = write_library(tmp_path / "synthetic.bib", 300, seed=13)
    config = PublishConfig(base_url="https://example.org/rl/", page_size=25, feed_size=10)
    _edit_and_compare(tmp_path, bib, config, lambda out: TitleCites(out / STATE_DIR / "cite.sqlite"),
                      rounds=len(EDITS), seed=3)
