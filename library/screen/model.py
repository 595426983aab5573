"""The ranking model: TF-IDF features of title, abstract and keywords and a linear classifier (scikit-learn).

Why this shape: the few includes of a screening project are what the model learns from, so the classifier sees
them re-weighted against the many excludes (``class_weight='balanced'`` plus an include weight that grows when
includes are rare; the idea behind ASReview's "double balance"), and the features are fitted once per set of
records so that re-ranking after a decision is only a fit on the labelled rows and one sparse product.
Everything is deterministic for a given ``seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB

__all__ = ["Features", "Model", "fit_features", "record_text", "train"]

# tuned on the tuning half of the labelled sets (see benchmarks/bench_screen.py); reported on the other half
NGRAMS = (1, 2)
MIN_DF = 2
C = 1.0
MAX_FEATURES = 200_000
CLASSIFIER = "nb"  # nb | lr
NB_ALPHA = 1.0
INCLUDE_BOOST = 1.0
MAX_DF = 1.0  # drop terms in more than this share of the records
TITLE_WEIGHT = 2  # how many times the title is read
SUBLINEAR_TF = True


def record_text(title: str, abstract: str = "", keywords: Sequence[str] = ()) -> str:
    """What the model reads: the title twice (it carries more than a sentence of the abstract), abstract, keywords."""
    return " ".join(p for p in (*[title] * TITLE_WEIGHT, abstract, " ".join(keywords)) if p)


@dataclass(slots=True)
class Features:
    matrix: sparse.csr_matrix  # one row per record, L2-normalized TF-IDF
    terms: np.ndarray  # column -> term


def fit_features(texts: Sequence[str]) -> Features:
    """TF-IDF over ``texts`` (English stop words removed, word unigrams and bigrams, sublinear term frequency)."""
    vectorizer = TfidfVectorizer(stop_words="english", ngram_range=NGRAMS, min_df=MIN_DF, max_df=MAX_DF,
                                 sublinear_tf=SUBLINEAR_TF, max_features=MAX_FEATURES, strip_accents="unicode",
                                 dtype=np.float32,
                                 token_pattern=r"(?u)\b[^\W\d_][\w-]+\b")  # noqa: S106
    texts = list(texts)
    if not any(t.strip() for t in texts):
        return Features(sparse.csr_matrix((len(texts), 0), dtype=np.float32), np.array([], dtype=object))
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # only stop words
        return Features(sparse.csr_matrix((len(texts), 0), dtype=np.float32), np.array([], dtype=object))
    return Features(matrix.tocsr(), vectorizer.get_feature_names_out())


@dataclass(slots=True)
class Model:
    """A trained ranker: ``coef`` over the feature columns; higher scores rank first."""

    coef: np.ndarray
    intercept: float
    trained_on: tuple[int, int]  # (includes, excludes)

    def scores(self, matrix: sparse.csr_matrix) -> np.ndarray:
        if not len(self.coef):
            return np.zeros(matrix.shape[0], dtype=np.float32)
        return np.asarray(matrix @ self.coef, dtype=np.float32).ravel() + self.intercept

    def top_terms(self, row: sparse.csr_matrix, terms: np.ndarray, n: int = 8) -> list[tuple[str, float]]:
        """The terms of one record that push it up the most (its TF-IDF weight times the model's weight)."""
        if not len(self.coef) or row.nnz == 0:
            return []
        contrib = row.data * self.coef[row.indices]
        order = np.argsort(-contrib)[:n]
        return [(str(terms[row.indices[i]]), float(contrib[i])) for i in order if contrib[i] > 0]


def train(matrix: sparse.csr_matrix, included: Sequence[int], excluded: Sequence[int], seed: int = 0) -> Model:
    """Fit the linear model on the labelled rows; with no includes or no excludes, rank by similarity to what is
    known (the mean TF-IDF vector of the includes, minus that of the excludes)."""
    inc, exc = np.asarray(included, dtype=np.int64), np.asarray(excluded, dtype=np.int64)
    if matrix.shape[1] == 0:
        return Model(np.zeros(0, dtype=np.float32), 0.0, (len(inc), len(exc)))
    if not len(inc) or not len(exc):
        coef = np.zeros(matrix.shape[1], dtype=np.float64)
        if len(inc):
            coef += np.asarray(matrix[inc].mean(axis=0)).ravel()
        if len(exc):
            coef -= np.asarray(matrix[exc].mean(axis=0)).ravel()
        return Model(coef.astype(np.float32), 0.0, (len(inc), len(exc)))
    rows = np.concatenate([inc, exc])
    y = np.concatenate([np.ones(len(inc)), np.zeros(len(exc))])
    weight = np.concatenate([np.full(len(inc), INCLUDE_BOOST * len(rows) / (2 * len(inc))),
                             np.full(len(exc), len(rows) / (2 * len(exc)))])
    if CLASSIFIER == "nb":
        nb = MultinomialNB(alpha=NB_ALPHA)
        nb.fit(matrix[rows], y, sample_weight=weight)
        coef = nb.feature_log_prob_[1] - nb.feature_log_prob_[0]
        return Model(coef.astype(np.float32), float(nb.class_log_prior_[1] - nb.class_log_prior_[0]),
                     (len(inc), len(exc)))
    clf = LogisticRegression(C=C, solver="liblinear", random_state=seed, max_iter=200)
    clf.fit(matrix[rows], y, sample_weight=weight)
    return Model(clf.coef_.ravel().astype(np.float32), float(clf.intercept_[0]), (len(inc), len(exc)))
