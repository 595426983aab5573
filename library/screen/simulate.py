"""Replay a labelled screening dataset: how much reading the ranking saves (``reflib screen simulate``).

The replay starts from a few random prior decisions (``priors`` includes and as many excludes, fixed ``seed``),
then repeatedly retrains the model of :mod:`library.screen.model` and "screens" the highest-ranked unread record
(its label is revealed). It retrains after every decision while fewer than ``every_decision_until`` records are
labelled, then after every ``batch`` decisions (ASReview retrains after each; the batch keeps long replays fast).

Figures (the priors count as screened):

* **WSS@95**: work saved over sampling at 95% recall, ``(N - screened when 95% of the includes were found) / N
  - 0.05`` (Cohen 2006); 0 is what random order gives on average, 0.95 the best possible.
* **recall@10% / @25%**: the share of includes found after screening 10% / 25% of the records.
* The same figures for a random order (mean over ``random_runs`` shuffles) for comparison.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import LibraryError
from .model import fit_features, record_text, train, unsure_turn

__all__ = ["Dataset", "SimulationError", "SimulationResult", "read_dataset", "recall_at", "simulate", "wss"]

TRUE = {"1", "1.0", "true", "yes", "y", "included", "include"}
FALSE = {"0", "0.0", "false", "no", "n", "excluded", "exclude", ""}


class SimulationError(LibraryError):
    """A labelled dataset that cannot be replayed; the message names the file and the row."""


@dataclass(slots=True)
class Dataset:
    name: str
    texts: list[str]
    labels: np.ndarray  # 1 = included


def read_dataset(path: str | Path) -> Dataset:
    """A CSV with the columns ``title``, ``abstract`` (may be empty) and ``label_included`` (1/0)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            missing = [c for c in ("title", "label_included") if c not in header]
            if missing:
                raise SimulationError(f"{path}: missing column(s) {', '.join(missing)} (need title, abstract, "
                                      "label_included)")
            texts, labels = [], []
            for line, row in enumerate(reader, 2):
                row = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
                label = row["label_included"].strip().lower()
                if label not in TRUE and label not in FALSE:
                    raise SimulationError(f"{path} (row {line}): label_included is {label!r}; expected 1 or 0")
                texts.append(record_text(row["title"], row.get("abstract", "")))
                labels.append(label in TRUE)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SimulationError(f"{path}: cannot be read as a UTF-8 CSV file ({exc})") from exc
    data = Dataset(path.stem, texts, np.array(labels, dtype=np.int8))
    if data.labels.sum() < 2 or (1 - data.labels).sum() < 2:
        raise SimulationError(f"{path}: needs at least two included and two excluded records to replay")
    return data


def wss(order: Sequence[int] | np.ndarray, labels: np.ndarray, level: float = 0.95) -> float:
    found = np.cumsum(labels[np.asarray(order)])
    needed = math.ceil(level * int(labels.sum()))
    screened = int(np.searchsorted(found, needed) + 1)
    return (len(labels) - screened) / len(labels) - (1 - level)


def recall_at(order: Sequence[int] | np.ndarray, labels: np.ndarray, share: float) -> float:
    n = max(1, math.ceil(share * len(labels)))
    return float(labels[np.asarray(order)[:n]].sum() / labels.sum())


@dataclass(slots=True)
class SimulationResult:
    dataset: str
    records: int
    included: int
    seed: int
    wss95: float
    recall10: float
    recall25: float
    random_wss95: float
    random_recall10: float
    random_recall25: float

    def to_json(self) -> dict[str, object]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


Trainer = Callable[..., object]


def replay(data: Dataset, seed: int = 0, priors: int = 1, every_decision_until: int = 300,
           batch: int = 5, unsure_every: int | None = None, unsure_until: int | None = None) -> np.ndarray:
    """The screening order the model produces (see the module docstring)."""
    rng = np.random.default_rng(seed)
    labels = data.labels
    matrix = fit_features(data.texts).matrix
    inc = list(rng.choice(np.flatnonzero(labels == 1), priors, replace=False))
    exc = list(rng.choice(np.flatnonzero(labels == 0), priors, replace=False))
    order = [*inc, *exc]
    unread = np.ones(len(labels), dtype=bool)
    unread[order] = False
    while unread.any():
        model = train(matrix, inc, exc, seed=seed)
        scores = model.scores(matrix)
        scores[~unread] = -np.inf
        take = 1 if len(order) < every_decision_until else batch
        if unsure_turn(len(order), unsure_every, unsure_until):
            picked = np.argsort(np.abs(scores), kind="stable")[:1]
        else:
            picked = np.argsort(-scores, kind="stable")[:min(take, int(unread.sum()))]
        for n in picked:
            order.append(int(n))
            unread[n] = False
            (inc if labels[n] else exc).append(int(n))
    return np.array(order)


def simulate(data: Dataset, seed: int = 0, random_runs: int = 50, **options: int) -> SimulationResult:
    order = replay(data, seed, **options)
    rng = np.random.default_rng(seed + 1)
    shuffles = [rng.permutation(len(data.labels)) for _ in range(random_runs)]
    labels = data.labels
    return SimulationResult(
        data.name, len(labels), int(labels.sum()), seed, wss(order, labels), recall_at(order, labels, 0.10),
        recall_at(order, labels, 0.25), float(np.mean([wss(o, labels) for o in shuffles])),
        float(np.mean([recall_at(o, labels, 0.10) for o in shuffles])),
        float(np.mean([recall_at(o, labels, 0.25) for o in shuffles])))
