"""Rebuild benchmarks/data/classify-sample.jsonl.gz from ../shared/corpus (run once; the file is committed).

Chosen without regard to what the fast paths get right: every record on which some topic rule finds evidence
(fired or blocked), the 20 longest abstracts, and a fixed hash-chosen 1% of the rest.
``python -m benchmarks.make_classify_sample [CORPUS]``
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

from benchmarks.classify_regression import SAMPLE, corpus_records, sample_row
from library.evidence.classify import verdicts
from library.evidence.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]


def main(corpus: Path) -> None:
    taxonomy = load_taxonomy(ROOT / "taxonomy.toml")
    rows = corpus_records(corpus)
    chosen: dict[int, tuple[str, object]] = {}
    for i, (source, record) in enumerate(rows):
        evidence = any(v.status != "none" for v in verdicts(record, taxonomy))
        picked = int(hashlib.sha1(f"sample:{source}:{record.key}:{record.title}".encode()).hexdigest(), 16) % 100 == 0
        if evidence or picked:
            chosen[i] = (source, record)
    longest = sorted(range(len(rows)), key=lambda i: -len(rows[i][1].abstract))[:20]
    chosen.update((i, rows[i]) for i in longest)
    SAMPLE.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(SAMPLE, "wt", encoding="utf-8") as handle:
        for i in sorted(chosen):
            source, record = rows[i]
            handle.write(json.dumps(sample_row(source, record), ensure_ascii=False) + "\n")
    print(f"{len(chosen)} of {len(rows)} records -> {SAMPLE}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus")
