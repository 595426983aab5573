"""Replay a labelled screening dataset: how much reading the ranking saves (``reflib screen simulate``).

The replay starts from a few random prior decisions (``priors`` includes and as many excludes, fixed ``seed``),
then repeatedly retrains the model of :mod:`library.screen.model` and "screens" the highest-ranked unread record
(its label is revealed). It retrains after every decision, as the inbox does (``screen next`` and the screening
page retrain for every listing) and as ASReview does; ``every_decision_until`` (records labelled) and ``batch``
switch to retraining after every ``batch`` decisions from there on (the default until the fourth round was 300 / 5;
measured equal on the tuning sets: changes/18.md).

Figures are computed on the records after the priors, as ASReview does by default (ASReview Insights,
``priors=False``): the prior records are neither screened nor counted, so N is the number of records minus the
priors and the includes are those not among the priors.

* **WSS@95**: work saved over sampling at 95% recall (Cohen 2006): ``(TN + FN) / N - 0.05`` at the first point where
  at least 95% of the includes have been found (``ceil(0.95 * includes)``), i.e. ``(N - screened) / N - 0.05``; 0 is
  what random order gives on average, 0.95 the best possible. (ASReview Insights reads its curve at the last point
  at or below 95% recall, ``floor``, which is lenient when there are few includes; not used here.)
* **recall@10% / @25%**: the share of includes found after screening 10% / 25% of the N records.
* The same figures for a random order of the same N records (mean over ``random_runs`` shuffles) for comparison.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import LibraryError
from .model import RunningNB, fit_features, record_meta, record_text, train, unsure_turn

__all__ = ["Dataset", "SimulationError", "SimulationResult", "includes_needed", "prior_records", "read_dataset",
           "recall_at", "simulate", "wss"]

TRUE = {"1", "1.0", "true", "yes", "y", "included", "include"}
FALSE = {"0", "0.0", "false", "no", "n", "excluded", "exclude", ""}


class SimulationError(LibraryError):
    """A labelled dataset that cannot be replayed; the message names the file and the row."""


@dataclass(slots=True)
class Dataset:
    name: str
    texts: list[str]
    labels: np.ndarray  # 1 = included
    meta: list[list[str]] | None = None  # metadata tokens per record (model.record_meta), read as the inbox reads them


def read_dataset(path: str | Path) -> Dataset:
    """A CSV (or gzipped CSV, ``.gz``) with the columns ``title``, ``abstract`` (may be empty) and
    ``label_included`` (1/0); ``authors`` (separated by ``;`` or ``and``), ``year``, ``journal`` and ``keywords``
    (separated by ``;``) are read when present, as the inbox reads them (:func:`model.record_meta`)."""
    path = Path(path)
    try:
        with (gzip.open(path, "rt", encoding="utf-8-sig", newline="") if path.suffix == ".gz" else
              path.open(encoding="utf-8-sig", newline="")) as handle:
            reader = csv.DictReader(handle)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            missing = [c for c in ("title", "label_included") if c not in header]
            if missing:
                raise SimulationError(f"{path}: missing column(s) {', '.join(missing)} (need title, abstract, "
                                      "label_included)")
            texts, labels, meta = [], [], []
            for line, row in enumerate(reader, 2):
                row = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
                label = row["label_included"].strip().lower()
                if label not in TRUE and label not in FALSE:
                    raise SimulationError(f"{path} (row {line}): label_included is {label!r}; expected 1 or 0")
                keywords = [k.strip() for k in row.get("keywords", "").split(";") if k.strip()]
                texts.append(record_text(row["title"], row.get("abstract", ""), keywords))
                meta.append(record_meta(row.get("authors", ""), row.get("year"), row.get("journal", ""), keywords))
                labels.append(label in TRUE)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise SimulationError(f"{path}: cannot be read as a UTF-8 CSV file ({exc})") from exc
    data = Dataset(Path(path.stem).stem if path.suffix == ".gz" else path.stem, texts, np.array(labels, dtype=np.int8),
                   meta)
    if data.labels.sum() < 2 or (1 - data.labels).sum() < 2:
        raise SimulationError(f"{path}: needs at least two included and two excluded records to replay")
    return data


def wss(order: Sequence[int] | np.ndarray, labels: np.ndarray, level: int = 95) -> float:
    """WSS@``level`` of screening ``order`` (indexes into ``labels``; N = ``len(order)``, the records counted)."""
    seen = labels[np.asarray(order)]
    found = np.cumsum(seen)
    needed = includes_needed(int(seen.sum()), level)
    screened = int(np.searchsorted(found, needed) + 1)
    return (len(seen) - screened) / len(seen) - (100 - level) / 100


def includes_needed(includes: int, level: int = 95) -> int:
    """How many of ``includes`` make ``level``% recall: the ceiling, computed in integers."""
    return -(-level * includes // 100)


def recall_at(order: Sequence[int] | np.ndarray, labels: np.ndarray, share: float) -> float:
    """Share of the includes in ``order`` found in its first ``share`` (of ``len(order)``, rounded up)."""
    seen = labels[np.asarray(order)]
    n = max(1, math.ceil(share * len(seen)))
    return float(seen[:n].sum() / seen.sum())


@dataclass(slots=True)
class SimulationResult:
    dataset: str
    records: int
    included: int
    seed: int
    priors: int  # prior records (half includes), not counted in the figures
    wss95: float
    recall10: float
    recall25: float
    random_wss95: float
    random_recall10: float
    random_recall25: float

    def to_json(self) -> dict[str, object]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


Trainer = Callable[..., object]


def prior_records(labels: np.ndarray, seed: int, priors: int = 1) -> tuple[list[int], list[int]]:
    """The random prior includes and excludes a replay starts from (``priors`` of each, drawn with ``seed``)."""
    rng = np.random.default_rng(seed)
    inc = [int(i) for i in rng.choice(np.flatnonzero(labels == 1), priors, replace=False)]
    exc = [int(i) for i in rng.choice(np.flatnonzero(labels == 0), priors, replace=False)]
    return inc, exc


def replay(data: Dataset, seed: int = 0, priors: int = 1, every_decision_until: int | None = None,
           batch: int = 5, unsure_every: int | None = None, unsure_until: int | None = None,
           until_decided: bool = False) -> np.ndarray:
    """The screening order the model produces (see the module docstring). With ``until_decided`` the replay stops
    once the figures of :func:`simulate` are decided (95% of the includes after the priors found and 25% of the
    records after the priors screened) and the rest follows in the order of the last model's scores: WSS@95,
    recall@10% / @25% and the random figures are the same as a full replay's (a test holds them equal)."""
    labels = data.labels
    features = fit_features(data.texts, data.meta)
    matrix = features.matrix
    inc, exc = prior_records(labels, seed, priors)
    order = [*inc, *exc]
    unread = np.ones(len(labels), dtype=bool)
    unread[order] = False
    running = RunningNB(matrix) if RunningNB.usable() and matrix.shape[1] else None
    for n in order if running is not None else ():
        running.add(n, bool(labels[n]))  # type: ignore[union-attr]
    counted = len(labels) - len(order)
    needed = includes_needed(int(labels.sum()) - len(inc))  # as wss() counts them
    scores = np.zeros(len(labels), dtype=np.float32)
    while unread.any():
        if until_decided and len(inc) - priors >= needed and 4 * (len(order) - 2 * priors) >= counted:
            rest = np.flatnonzero(unread)
            order += [int(n) for n in rest[np.argsort(-scores[rest], kind="stable")]]
            break
        model = running.model() if running is not None else train(matrix, inc, exc, seed=seed, partner=features.partner)
        scores = model.scores(matrix)
        scores[~unread] = -np.inf
        take = 1 if every_decision_until is None or len(order) < every_decision_until else batch
        if unsure_turn(len(order), unsure_every, unsure_until):
            picked = np.argsort(np.abs(scores), kind="stable")[:1]
        else:
            picked = np.argsort(-scores, kind="stable")[:min(take, int(unread.sum()))]
        for n in picked:
            order.append(int(n))
            unread[n] = False
            (inc if labels[n] else exc).append(int(n))
            if running is not None:
                running.add(int(n), bool(labels[n]))
    return np.array(order)


def simulate(data: Dataset, seed: int = 0, random_runs: int = 50, priors: int = 1, **options: int) -> SimulationResult:
    order = replay(data, seed, priors=priors, until_decided=True, **options)[2 * priors:]  # priors left out
    rng = np.random.default_rng(seed + 1)
    shuffles = [rng.permutation(np.sort(order)) for _ in range(random_runs)]  # the same whatever the order
    labels = data.labels
    return SimulationResult(
        data.name, len(labels), int(labels.sum()), seed, 2 * priors, wss(order, labels),
        recall_at(order, labels, 0.10),
        recall_at(order, labels, 0.25), float(np.mean([wss(o, labels) for o in shuffles])),
        float(np.mean([recall_at(o, labels, 0.10) for o in shuffles])),
        float(np.mean([recall_at(o, labels, 0.25) for o in shuffles])))
