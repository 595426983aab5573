"""Tuning the screening ranking on the TUNE sets only (benchmarks/data/screening-tune; benchmarks/bench_screen.py
holds the fixed split).

    .venv/bin/python -m benchmarks.tune_screen [--seeds 10] [--jobs 2] VARIANT ...

A variant is ``name`` (one of VARIANTS) or ``key=value,key=value`` overriding settings of
library/screen/model.py (upper-case names) or options of ``simulate`` (lower-case names). Each variant is replayed
on every TUNE set with the same seeds (the same prior records), so differences to the baseline are paired: the
output gives the tune average (mean over sets, then mean +- sd over seeds) and the paired difference to the first
variant (mean +- standard error over seeds). The REPORT sets are never read here.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_screen import TUNE, dataset_path
from library.screen.model import ASREVIEW_TFIDF

VARIANTS: dict[str, dict[str, Any]] = {
    "base": {},
    # ASReview LAB 3's default AI (elas_u4) in this model's settings: linear SVM (squared hinge, C 0.11), includes
    # weighing 9.8 times the excludes, TF-IDF of word uni- and bigrams (scikit-learn's token pattern, no stop-word
    # list, max_df 0.95, sublinear TF), title read once, no year block, no uncertainty picks. On the nine tuning
    # sets it gives the real ASReview 3.0.8's replayed WSS@95 (benchmarks/data/asreview-replay.jsonl) on 34 of the
    # 45 set x seed runs to the fourth decimal, the others within 0.018 (CHANGELOG, issue 18, ninth round).
    "asreview": {"CLASSIFIER": "svm", "C": 0.11, "BALANCE": "ratio", "INCLUDE_RATIO": 9.8,
                 "NGRAMS": ASREVIEW_TFIDF["ngram_range"], "MAX_DF": ASREVIEW_TFIDF["max_df"], "STOP_WORDS": "",
                 "TOKEN_PATTERN": ASREVIEW_TFIDF["token_pattern"], "TITLE_WEIGHT": 1, "YEAR_WEIGHT": 0.0,
                 "UNSURE_EVERY": 0},
}
_DEFAULTS: dict[str, Any] = {}
_FEATURES: dict[tuple[Any, ...], Any] = {}  # per worker: the features of a set under the feature settings
_FEATURE_SETTINGS = ("NGRAMS", "MIN_DF", "MAX_DF", "MAX_FEATURES", "SUBLINEAR_TF", "TOKEN_PATTERN", "STOP_WORDS",
                     "ROW_NORM", "BINARY", "CLASSIFIER", "PARTNER_FEATURES",
                     "AUTHOR_WEIGHT", "YEAR_WEIGHT", "YEAR_BUCKET", "JOURNAL_WEIGHT", "KEYWORD_WEIGHT", "MAX_AUTHORS")


def _cached_features(texts: list[str], meta: list[list[str]] | None = None) -> Any:
    """model.fit_features, kept per worker across seeds (the features do not depend on the seed)."""
    from library.screen import model

    tokens = "\x01".join("\x00".join(m) for m in meta) if meta is not None else None
    key = (hash("\x00".join(texts)), hash(tokens), *(getattr(model, k) for k in _FEATURE_SETTINGS))
    if key not in _FEATURES:
        _FEATURES[key] = model.fit_features(texts, meta)
    return _FEATURES[key]


def _value(text: str) -> Any:
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text.startswith("(") and text.endswith(")"):
        return tuple(int(p) for p in text[1:-1].split(",") if p)
    return text


def parse(variant: str) -> dict[str, Any]:
    if variant in VARIANTS:
        return VARIANTS[variant]
    pairs = [p.split("=", 1) for p in variant.replace(";", "|").split("|") if p]
    return {k: _value(v) for k, v in pairs}


def _run(job: tuple[dict[str, Any], str, int]) -> float:
    settings, name, seed = job
    from library.screen import model
    from library.screen import simulate as replayer
    from library.screen.simulate import read_dataset, simulate

    replayer.fit_features = _cached_features  # type: ignore[assignment]
    if not _DEFAULTS:
        _DEFAULTS.update({k: v for k, v in vars(model).items() if k.isupper()})
    for key, value in _DEFAULTS.items():
        setattr(model, key, value)
    options = {k: v for k, v in settings.items() if k.islower()}
    for key, value in settings.items():
        if key.isupper():
            if not hasattr(model, key):
                raise SystemExit(f"no setting {key} in library/screen/model.py")
            setattr(model, key, value)
    return simulate(read_dataset(dataset_path(name)), seed, random_runs=1, **options).wss95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", help="name or KEY=value|KEY=value (| separates settings)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", type=Path, help="JSON file of earlier results (variant -> per-set, per-seed)")
    args = parser.parse_args()
    cache: dict[str, list[list[float]]] = json.loads(args.cache.read_text()) if args.cache and \
        args.cache.exists() else {}
    seeds = range(args.seeds)
    base: np.ndarray | None = None
    ctx = multiprocessing.get_context("spawn")  # each job restores the defaults, then sets its own
    with ctx.Pool(args.jobs) as pool:
        for variant in args.variants:
            settings = parse(variant)
            key = f"{variant} seeds={args.seeds}"
            if key not in cache:
                jobs = [(settings, name, seed) for name in TUNE for seed in seeds]
                cache[key] = np.array(pool.map(_run, jobs, chunksize=1)).reshape(len(TUNE), len(seeds)).tolist()
                if args.cache:
                    args.cache.write_text(json.dumps(cache))
            values = np.array(cache[key])
            average = values.mean(axis=0)  # per seed: mean over the tune sets
            sets = " ".join(f"{n.replace('Cohen_2006_', '')[:5]} {v:.3f}" for n, v in zip(TUNE, values.mean(axis=1),
                                                                                         strict=True))
            line = f"{variant:40s} {average.mean():.3f} ± {average.std():.3f}  [{sets}]"
            if base is None:
                base = average
            else:
                diff = average - base
                line += f"  diff {diff.mean():+.3f} ± {diff.std(ddof=1) / np.sqrt(len(diff)):.3f} (se)"
            print(line, flush=True)


if __name__ == "__main__":
    main()
