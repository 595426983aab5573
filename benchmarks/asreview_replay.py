"""Replay the real ASReview on the bench's labelled sets with our protocol, for the comparison `make bench` prints.

ASReview publishes no per-set WSS@95 for the seven sets of issue 18 (benchmarks/bench_screen.py, PUBLISHED), so
its default is replayed here: the same records (title and abstract of each set's CSV), the same prior include and
exclude as our replay draws for each seed (``library.screen.simulate.replay``), the same seeds
(``bench_screen._seeds``) and the same WSS@95 reading (``library.screen.simulate.wss``: the priors left out,
ceil(95%) of the other includes). ASReview is not a dependency of reflib; install it in a separate environment:

    python3 -m venv /tmp/asr && /tmp/asr/bin/pip install asreview==3.0.8
    PYTHONPATH=. .venv/bin/python -m benchmarks.asreview_replay /tmp/asr/bin/asreview SET [SET ...] \\
        >> benchmarks/data/asreview-replay.jsonl

One JSON line per set: records, includes, seeds, WSS@95 per seed, mean and sd, recall@10%, the ASReview version
and AI. bench_screen reads the committed lines (benchmarks/data/asreview-replay.jsonl) and prints them beside our
figures; it never runs ASReview.
"""

from __future__ import annotations

import csv
import gzip
import json
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from benchmarks.bench_screen import _seeds, dataset_path
from library.screen.simulate import prior_records, read_dataset, recall_at, wss


def _order(asreview: str, plain: Path, include: int, exclude: int, seed: int, folder: Path, n: int) -> np.ndarray:
    """ASReview's screening order after the two priors (records it did not reach appended: it stops after the
    last include, and WSS@95 is decided before that)."""
    project = folder / f"run-{seed}.asreview"
    subprocess.run([asreview, "simulate", str(plain), "--prior-idx", str(include), str(exclude), "--seed", str(seed),
                    "-o", str(project)], check=True, capture_output=True, cwd=folder)  # (it leaves a cache file)
    with zipfile.ZipFile(project) as archive:
        (folder / "results.db").write_bytes(archive.read("results.db"))
    with sqlite3.connect(folder / "results.db") as db:
        got = [row[0] for row in db.execute("SELECT record_id FROM results ORDER BY rowid")]
    if set(got[:2]) != {include, exclude}:
        raise SystemExit(f"ASReview did not start from the priors given ({got[:2]} != {include}, {exclude})")
    seen = set(got)
    return np.array(got[2:] + [i for i in range(n) if i not in seen])


def replay_set(asreview: str, name: str) -> dict[str, object]:
    source = dataset_path(name)
    with gzip.open(source, "rt", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = read_dataset(source).labels
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        version = subprocess.run([asreview, "--version"], check=True, capture_output=True, text=True,
                                 cwd=folder).stdout.strip()
        plain = folder / f"{name}.csv"  # row i = record i of our dataset (ASReview numbers rows from 0)
        with plain.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["title", "abstract", "label_included"])
            writer.writerows([r.get("title") or "", r.get("abstract") or "", r["label_included"]] for r in rows)
        orders = []
        for seed in _seeds(name):
            (include,), (exclude,) = prior_records(labels, seed)  # the priors our replay starts from
            orders.append(_order(asreview, plain, include, exclude, seed, folder, len(labels)))
    values = [wss(order, labels) for order in orders]
    return {"set": name, "asreview": version, "ai": "elas_u4 (default)", "records": len(labels),
            "includes": int(labels.sum()), "seeds": list(_seeds(name)), "wss95": [round(v, 4) for v in values],
            "mean": round(float(np.mean(values)), 4), "sd": round(float(np.std(values)), 4),
            "recall10": round(float(np.mean([recall_at(o, labels, 0.10) for o in orders])), 3)}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    for name in argv[1:]:
        print(json.dumps(replay_set(argv[0], name)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
