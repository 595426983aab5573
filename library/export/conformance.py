"""reflib's formatted references against citeproc-js (the CSL engine of Zotero and Mendeley).

Both engines get the same CSL-JSON item (what reflib's citeproc-py layer renders) and the same CSL style and
locale files (citeproc-js the files as published, reflib its patched copy), one record at a time ("cite this").
The outputs are compared after one typographic normalization (:func:`normalize_typography`): curly quotes become
straight, en and em dashes hyphens, non-breaking and thin spaces plain spaces, runs of spaces one — a medical
editor pastes either form; nothing else is forgiven. Besides identity, two things are counted that must be zero:
page ranges whose numbers change (Vancouver "1-17" printed as "1-7") and "others" printed as a name.

citeproc-js runs under Node from a cache directory (``$REFLIB_CITEPROC_JS`` or ``~/.cache/reflib/citeproc-js``);
``make node-deps`` installs it there. Nothing here is used by exports: it is the yardstick for tests and benchmarks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..model import Record
from .citeproc import STYLES, _citeproc_item, format_citation, style_name, style_xml
from .parts import page_range

__all__ = ["Agreement", "citeproc_js_available", "compare_styles", "normalize_typography", "part_of",
           "render_citeproc_js", "render_citeproc_js_items"]

CITEPROC_JS_VERSION = "2.4.63"
_SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "citeproc_js_render.js"


def cache_dir() -> Path:
    return Path(os.environ.get("REFLIB_CITEPROC_JS") or Path.home() / ".cache" / "reflib" / "citeproc-js")


def citeproc_js_available() -> bool:
    return shutil.which("node") is not None and (cache_dir() / "node_modules" / "citeproc").is_dir() \
        and _SCRIPT.is_file()


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                         "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u00a0": " ",
                         "\u2009": " ", "\u202f": " "})
_SPACE = re.compile(r"\s+")


def normalize_typography(text: str) -> str:
    """The one normalization before comparing: straight quotes, hyphens, plain single spaces."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip()


def _locale_file() -> str:
    return resources.files("citeproc").joinpath("data/locales/locales-en-US.xml").read_text(encoding="utf-8")


_NUMBER = re.compile(r"^\d+\.\s*")


def render_citeproc_js(records: Sequence[Record], style: str) -> list[str]:
    """Each record's reference-list entry by citeproc-js (plain text, the number of numbered styles dropped)."""
    return render_citeproc_js_items([_citeproc_item(r, f"r{i}") for i, r in enumerate(records)], style)


def render_citeproc_js_items(items: Sequence[dict[str, Any]], style: str) -> list[str]:
    """Each CSL-JSON item's reference-list entry by citeproc-js, the items given as they are (a test can give
    citeproc-js the raw export, without the preparation reflib's own rendering does)."""
    name = style_name(style)
    job = {"style": style_xml(name), "locale": _locale_file(), "items": items, "format": "text"}
    env = dict(os.environ, NODE_PATH=str(cache_dir() / "node_modules"))
    done = subprocess.run(["node", str(_SCRIPT)], input=json.dumps(job), capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"citeproc-js failed: {done.stderr.strip()[:500]}")
    entries: list[str] = json.loads(done.stdout)
    return [_NUMBER.sub("", entry) for entry in entries]


def part_of(record: Record) -> str:
    """'tune' or 'report' from a hash of the record's identity (PMID, DOI or title): rules are tuned on one part
    and agreement is reported on the other."""
    ident = record.pmid or record.doi.lower() or record.title.lower()
    return "tune" if int(hashlib.sha1(ident.encode()).hexdigest(), 16) % 2 == 0 else "report"


_RANGE_AFTER = r"(?<![\dA-Za-z]){first}\s*[-\u2013]\s*([0-9A-Za-z.]+)"


def page_numbers_changed(record: Record, text: str) -> bool:
    """True when the text prints the record's page range with another last page than the record's, once both
    elided ranges ("768-82") are expanded: Vancouver's "1-7" for 1-17."""
    first, last = page_range(record.pages)
    if not (first and last) or not first.isdecimal() or not last.isdecimal():
        return False
    match = re.search(_RANGE_AFTER.format(first=re.escape(first)), normalize_typography(text))
    if match is None:
        return True  # the range is not printed at all (or printed with other numbers)
    shown = match.group(1).rstrip(".")
    if not shown.isdecimal():
        return True
    return _expanded(first, shown) != _expanded(first, last)


def _expanded(first: str, last: str) -> str:
    """The last page in full: "768-82" -> "782" (as a record may store it too: "1305-11" -> "1311")."""
    if len(last) >= len(first):
        return last
    full = first[: len(first) - len(last)] + last
    return full if int(full) > int(first) else last


_OTHERS = re.compile(r"\bothers\b", re.IGNORECASE)


def prints_others(record: Record, text: str) -> bool:
    """True when "others" appears in the text other than inside the record's own title or journal."""
    rest = text
    for own in (record.title, record.journal, record.booktitle, record.publisher):
        if own:
            rest = rest.replace(own, "")
    return bool(_OTHERS.search(rest)) and not _OTHERS.search(f"{record.title} {record.journal}")


@dataclass
class Agreement:
    style: str
    total: int = 0
    same: int = 0
    by_part: dict[str, list[int]] = field(default_factory=dict)  # part -> [same, total]
    changed_pages: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    differences: list[tuple[str, str, str]] = field(default_factory=list)  # (key, reflib, citeproc-js)

    @property
    def share(self) -> float:
        return self.same / self.total if self.total else 1.0

    def part_share(self, part: str) -> float:
        same, total = self.by_part.get(part, [0, 0])
        return same / total if total else 1.0


def compare_styles(records: Sequence[Record], styles: Sequence[str] = tuple(STYLES)) -> dict[str, Agreement]:
    """Per style: how many records reflib and citeproc-js render identically (after the normalization)."""
    out: dict[str, Agreement] = {}
    parts = [part_of(r) for r in records]
    for style in styles:
        theirs = render_citeproc_js(records, style)
        agreement = out[style] = Agreement(style)
        for record, part, other in zip(records, parts, theirs, strict=True):
            ours = format_citation(record, style)
            same = normalize_typography(ours) == normalize_typography(other)
            agreement.total += 1
            agreement.same += same
            counts = agreement.by_part.setdefault(part, [0, 0])
            counts[0] += same
            counts[1] += 1
            if not same:
                agreement.differences.append((record.key, ours, other))
            if page_numbers_changed(record, ours) and record.pages:
                agreement.changed_pages.append(f"{record.key}: {record.pages!r} -> {ours}")
            if prints_others(record, ours):
                agreement.others.append(f"{record.key}: {ours}")
    return out
