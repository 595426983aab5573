"""The ranking model: TF-IDF features of title, abstract and keywords, metadata blocks (the year; authors, journal,
keywords as tokens, off) and a linear classifier (scikit-learn).

Why this shape: the few includes of a screening project are what the model learns from, so the classifier sees
them re-weighted against the many excludes (``class_weight='balanced'`` plus an include weight that grows when
includes are rare; the idea behind ASReview's "double balance"), and the features are fitted once per set of
records so that re-ranking after a decision is only a fit on the labelled rows and one sparse product.
Everything is deterministic for a given ``seed``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

__all__ = ["Features", "Model", "RunningNB", "author_names", "fit_features", "is_metadata_term", "metadata_on",
           "record_meta", "record_text", "train", "unsure_turn"]

# tuned on the nine tuning sets (benchmarks/data/screening-tune, benchmarks/tune_screen.py; fourth round: unigrams,
# NB alpha 4, title read twice: +0.014 +- 0.003 WSS@95 over the defaults before, changes/18.md); reported on the seven
# sets of the issue (benchmarks/bench_screen.py)
NGRAMS = (1, 1)
MIN_DF = 1
C = 1.0
MAX_FEATURES = 200_000
CLASSIFIER = "nb"  # nb | cnb | lr | svm | ens (see train); measured on the tuning sets (CHANGELOG, issue 18)
NB_ALPHA = 4.0
INCLUDE_BOOST = 1.0
MAX_DF = 1.0  # drop terms in more than this share of the records
TITLE_WEIGHT = 2  # how many times the title is read
SUBLINEAR_TF = True
BALANCE = "weights"  # weights (each class half the weight) | double (ASReview 1's include share) | ratio (below)
INCLUDE_RATIO = 9.8  # BALANCE = "ratio": the includes weigh this many times the excludes (ASReview 2-3's balancer)
STOP_WORDS = "english"  # scikit-learn's English list, or "" for none
ROW_NORM = "l2"  # each record's TF-IDF row scaled to unit length (l2 or l1), or "" for none
BINARY = False  # term presence (1) instead of term frequency before IDF
PARTNER = "svm"  # the discriminative half of CLASSIFIER = "ens" (naive Bayes + this, scores standardized)
# the partner's own features: "" = the same as naive Bayes; "asreview" = ASReview 3's TF-IDF (word uni- and bigrams,
# scikit-learn's token pattern, no stop-word list, max_df 0.95), a block of columns after the others that only the
# partner reads; PARTNER_BALANCE "" = BALANCE, "ratio" = INCLUDE_RATIO; PARTNER_WEIGHT: its share of the sum
PARTNER_FEATURES = ""
ASREVIEW_TFIDF = {"ngram_range": (1, 2), "token_pattern": r"(?u)\b\w\w+\b", "stop_words": None,
                  "max_df": 0.95, "min_df": 1, "norm": "l2", "binary": False, "sublinear_tf": True}
PARTNER_BALANCE = ""
PARTNER_WEIGHT = 1.0
PSEUDO_EXCLUDES = 0  # random unread records added as excludes (Cormack & Grossman's CAL)
# uncertainty picks: while fewer than UNSURE_UNTIL decisions are made, every UNSURE_EVERY-th record offered is the
# one the model is least sure about (score nearest the decision boundary) instead of the top-ranked one
UNSURE_EVERY = 2
UNSURE_UNTIL = 40
# what a word is: a letter, then letters, digits or hyphens ("placebo-controlled" stays one word; "17beta" and "2.5"
# are no words). scikit-learn's default r"(?u)\b\w\w+\b" (hyphens split, digits kept) measured +0.048 WSS@95 on
# the tuning sets but -0.027 on the report sets, Antihistamines below random: not adopted (CHANGELOG, issue 18)
TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w-]+\b"  # noqa: S105
# metadata features (issue 18, fifth round): each block is its own TF-IDF over whole tokens ("author: Smith J",
# "year: 1999", "journal: ...", "keyword: ..."), rows L2-normalized, times the block's weight, beside the words
# (whose rows have norm 1). 0 = the block is off. Tuned on the nine tuning sets (changes/18.md, helper a6): the year
# itself at weight 0.5, +0.013 +- 0.005 WSS@95 (the only block that passed the adoption rule); authors at 0.25-2
# did not pass (best +0.006); journal and keywords are absent from every labelled set: untuned, off.
AUTHOR_WEIGHT = 0.0
YEAR_WEIGHT = 0.5
YEAR_BUCKET = 1  # years per year token ("year: 1995-1999" for 5); 1 = the year itself ("year: 1999")
JOURNAL_WEIGHT = 0.0
KEYWORD_WEIGHT = 0.0
MAX_AUTHORS = 20  # authors read per record (consortium papers list hundreds)
_BLOCKS = ("author", "year", "journal", "keyword")


def record_text(title: str, abstract: str = "", keywords: Sequence[str] = ()) -> str:
    """What the model reads: the title ``TITLE_WEIGHT`` times (it carries more than a sentence of the abstract),
    abstract, keywords."""
    return " ".join(p for p in (*[title] * TITLE_WEIGHT, abstract, " ".join(keywords)) if p)


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_INITIAL = re.compile(r"^(?:[A-Z]\.?){1,3}$|^[A-Z][a-z]?\.$")
_NAME_SPLIT = re.compile(r"\s*;\s*|\s+and\s+")


def author_names(authors: str | Sequence[str]) -> list[tuple[str, str]]:
    """(family, first initial) of each author: a list of names or one string of names separated by ``;`` or
    ``and`` (BibTeX); each name "Family, Given", "Given Family" or "J K Family" (initials first, as in PubMed's
    short form)."""
    names = _NAME_SPLIT.split(authors.strip()) if isinstance(authors, str) else [str(a) for a in authors]
    out = []
    for name in names:
        name = name.strip(" {}")
        if not name or name.casefold() == "others":
            continue
        if "," in name:
            family, _, given = (p.strip() for p in name.partition(","))
        else:
            words = name.split()
            lead = 0
            while lead < len(words) - 1 and _INITIAL.match(words[lead]):
                lead += 1
            if lead == 0 and len(words) > 1:  # "John Smith"
                lead = len(words) - 1
            family, given = " ".join(words[lead:]), " ".join(words[:lead])
        if family:
            out.append((family, (given[:1] or "").upper()))
    return out


def record_meta(authors: str | Sequence[str] = "", year: object = None, journal: str = "",
                keywords: Sequence[str] = ()) -> list[str]:
    """The metadata tokens of a record (read by :func:`fit_features` when a block's weight is not 0): one per author
    ("author: Smith J"), the year's bucket ("year: 1995-1999"), the journal, each keyword. Tokens compare without
    case and accents (:func:`fit_features`)."""
    tokens = [f"author: {family} {initial}".rstrip() for family, initial in author_names(authors)[:MAX_AUTHORS]]
    try:
        value = int(float(str(year).strip())) if year is not None and str(year).strip() else None
    except ValueError:
        value = None
    if value is not None:
        start = value - value % YEAR_BUCKET if YEAR_BUCKET > 1 else value
        tokens.append(f"year: {start}-{start + YEAR_BUCKET - 1}" if YEAR_BUCKET > 1 else f"year: {value}")
    if journal and journal.strip():
        tokens.append(f"journal: {' '.join(journal.split())}")
    tokens += [f"keyword: {' '.join(k.split())}" for k in keywords if k and k.strip()]
    return tokens


def metadata_on() -> bool:
    """Whether any metadata block is read (a weight not 0); callers skip reading the metadata otherwise."""
    return any((AUTHOR_WEIGHT, YEAR_WEIGHT, JOURNAL_WEIGHT, KEYWORD_WEIGHT))


def is_metadata_term(term: str) -> bool:
    """Whether a feature name is a metadata token (words never contain ": ")."""
    return term.split(": ", 1)[0] in _BLOCKS and ": " in term


def _metadata_matrix(meta: Sequence[Sequence[str]]) -> tuple[sparse.csr_matrix, list[str]]:
    """The weighted metadata blocks: per block, smoothed IDF of binary presence, rows L2-normalized, times the
    block's weight; columns named by the first spelling seen."""
    weights = {"author": AUTHOR_WEIGHT, "year": YEAR_WEIGHT, "journal": JOURNAL_WEIGHT, "keyword": KEYWORD_WEIGHT}
    column: dict[str, int] = {}
    names: list[str] = []
    block_of: list[str] = []
    rows, cols = [], []
    for r, tokens in enumerate(meta):
        seen = set()
        for token in tokens:
            block = token.split(": ", 1)[0]
            if not weights.get(block):
                continue
            key = _plain(token).casefold()
            if key not in column:
                column[key] = len(names)
                names.append(token)
                block_of.append(block)
            if column[key] not in seen:
                seen.add(column[key])
                rows.append(r)
                cols.append(column[key])
    n = len(meta)
    x = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(names)))
    if not names:
        return x, names
    df = np.bincount(cols, minlength=len(names))
    x = x @ sparse.diags((np.log((1 + n) / (1 + df)) + 1).astype(np.float32))
    blocks = np.array(block_of)
    parts = []
    for block in _BLOCKS:
        mask = blocks == block
        if not mask.any():
            continue
        part = sparse.csr_matrix(x[:, np.flatnonzero(mask)])
        norm = np.sqrt(np.asarray(part.multiply(part).sum(axis=1)).ravel())
        norm[norm == 0] = 1
        parts.append(sparse.diags((weights[block] / norm).astype(np.float32)) @ part)
    order = np.concatenate([np.flatnonzero(blocks == b) for b in _BLOCKS])
    return sparse.hstack(parts, format="csr", dtype=np.float32), [names[i] for i in order]


def unsure_turn(decided: int, every: int | None = None, until: int | None = None) -> bool:
    """Whether the next record offered after ``decided`` decisions is an uncertainty pick (see ``UNSURE_EVERY``)."""
    every = UNSURE_EVERY if every is None else every
    until = UNSURE_UNTIL if until is None else until
    return bool(every) and decided < until and decided % every == 0


@dataclass(slots=True)
class Features:
    matrix: sparse.csr_matrix  # one row per record, L2-normalized TF-IDF
    terms: np.ndarray  # column -> term
    words: int = -1  # the first ``words`` columns are words, the rest metadata tokens or the partner's (-1: all words)
    partner: int = -1  # the columns from here on are read only by the ensemble's partner (-1: none)


def fit_features(texts: Sequence[str], meta: Sequence[Sequence[str]] | None = None) -> Features:
    """TF-IDF over ``texts`` (English stop words removed, word n-grams of ``NGRAMS`` sizes, sublinear term frequency;
    words as ``TOKEN_PATTERN``), then the metadata blocks of ``meta`` (:func:`record_meta`, one list per text) whose
    weight is not 0."""
    return _with_partner(_fit_with_meta(texts, meta), texts)


def _fit_with_meta(texts: Sequence[str], meta: Sequence[Sequence[str]] | None) -> Features:
    words = _fit_words(texts)
    if meta is None or not metadata_on():
        return words
    if len(meta) != words.matrix.shape[0]:
        raise ValueError("fit_features: one metadata list per text")
    extra, names = _metadata_matrix(meta)
    if not names:
        return words
    return Features(sparse.hstack([words.matrix, extra], format="csr", dtype=np.float32),
                    np.concatenate([words.terms, np.array(names, dtype=object)]), len(words.terms))


def _with_partner(features: Features, texts: Sequence[str]) -> Features:
    """``features`` plus the partner's own block (``PARTNER_FEATURES``) when the ensemble reads one."""
    if CLASSIFIER != "ens" or PARTNER_FEATURES != "asreview":
        return features
    block = _fit_words(texts, **ASREVIEW_TFIDF)
    words = features.words if features.words >= 0 else len(features.terms)
    return Features(sparse.hstack([features.matrix, block.matrix], format="csr", dtype=np.float32),
                    np.concatenate([features.terms, block.terms]), words, features.matrix.shape[1])


def _fit_words(texts: Sequence[str], **settings: object) -> Features:
    chosen: dict[str, object] = {"stop_words": STOP_WORDS or None, "ngram_range": NGRAMS, "min_df": MIN_DF,
                                 "max_df": MAX_DF, "norm": ROW_NORM or None, "binary": BINARY,
                                 "sublinear_tf": SUBLINEAR_TF, "token_pattern": TOKEN_PATTERN}
    chosen.update(settings)
    vectorizer = TfidfVectorizer(max_features=MAX_FEATURES, strip_accents="unicode", dtype=np.float32,
                                 **chosen)  # type: ignore[arg-type]
    texts = list(texts)
    if not any(t.strip() for t in texts):
        return Features(sparse.csr_matrix((len(texts), 0), dtype=np.float32), np.array([], dtype=object))
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError as exc:  # only stop words; any other error (a bad setting) is raised, not read as "no words"
        if "empty vocabulary" not in str(exc):
            raise
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


def train(matrix: sparse.csr_matrix, included: Sequence[int], excluded: Sequence[int], seed: int = 0,
          partner: int = -1) -> Model:
    """Fit the linear model on the labelled rows; with no includes or no excludes, rank by similarity to what is
    known (the mean TF-IDF vector of the includes, minus that of the excludes). ``partner``: where the ensemble
    partner's own columns start (:attr:`Features.partner`)."""
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
    if PSEUDO_EXCLUDES:
        rows, y = _with_pseudo_excludes(matrix.shape[0], rows, y, seed)
    n_inc, n_exc = int(y.sum()), int(len(y) - y.sum())
    weight = _sample_weights(y, _balance_share(n_inc, n_exc))
    weight = np.where(y == 1, INCLUDE_BOOST * weight, weight)
    x = matrix[rows]
    trained_on = (len(inc), len(exc))
    if CLASSIFIER == "ens" and partner >= 0:
        return _ensemble(matrix, x, y, weight, seed, partner, trained_on)
    if CLASSIFIER == "ens":
        a, b = fit_nb(x, y, weight), _FITS[PARTNER](x, y, weight, seed)
        coef = a[0] / _spread(matrix, a[0]) + b[0] / _spread(matrix, b[0])
        return Model(coef.astype(np.float32), 0.0, trained_on)
    fitted = _FITS[CLASSIFIER](x, y, weight, seed)
    return Model(fitted[0].astype(np.float32), fitted[1], trained_on)


class RunningNB:
    """The naive Bayes of :func:`train` kept up to date one decision at a time (the screening replay): per class,
    the sum of the labelled rows. With the class weights uniform within a class, the weighted counts are a class
    weight times that sum, so a retrain costs the log of the terms seen so far instead of re-reading every labelled
    row. Only for ``CLASSIFIER = "nb"`` without pseudo-excludes (:meth:`usable`); a test holds it equal to
    :func:`train`."""

    def __init__(self, matrix: sparse.csr_matrix) -> None:
        self.matrix = sparse.csr_matrix(matrix)
        n_features = self.matrix.shape[1]
        self.sums = np.zeros((2, n_features), dtype=np.float64)
        self.totals = np.zeros(2, dtype=np.float64)
        self.count = [0, 0]
        self.present = np.zeros(n_features, dtype=bool)

    @staticmethod
    def usable() -> bool:
        return CLASSIFIER == "nb" and not PSEUDO_EXCLUDES

    def add(self, row: int, included: bool) -> None:
        start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        terms, values = self.matrix.indices[start:end], self.matrix.data[start:end].astype(np.float64)
        label = int(bool(included))
        self.sums[label, terms] += values
        self.totals[label] += values.sum()
        self.count[label] += 1
        self.present[terms] = True

    def model(self) -> Model:
        n_exc, n_inc = self.count
        if not n_inc or not n_exc or self.matrix.shape[1] == 0:
            raise ValueError("RunningNB needs an include and an exclude")
        share = _balance_share(n_inc, n_exc)
        w_inc = INCLUDE_BOOST * share * (n_inc + n_exc) / n_inc
        w_exc = (1 - share) * (n_inc + n_exc) / n_exc
        seen = np.flatnonzero(self.present)
        unseen = (self.matrix.shape[1] - len(seen)) * NB_ALPHA
        log_total_exc = np.log(w_exc * self.totals[0] + len(seen) * NB_ALPHA + unseen)
        log_total_inc = np.log(w_inc * self.totals[1] + len(seen) * NB_ALPHA + unseen)
        coef = np.full(self.matrix.shape[1], log_total_exc - log_total_inc, dtype=np.float64)
        coef[seen] += np.log(w_inc * self.sums[1, seen] + NB_ALPHA) - np.log(w_exc * self.sums[0, seen] + NB_ALPHA)
        intercept = float(np.log(w_inc * n_inc) - np.log(w_exc * n_exc))
        return Model(coef.astype(np.float32), intercept, (n_inc, n_exc))


def _ensemble(matrix: sparse.csr_matrix, x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, seed: int,
              partner: int, trained_on: tuple[int, int]) -> Model:
    """Naive Bayes on the columns before ``partner``, the partner on its own columns (with its own balance),
    each scaled by the spread of its scores over every record, summed as one coefficient vector."""
    x = sparse.csr_matrix(x)
    nb = np.zeros(matrix.shape[1])
    nb[:partner] = fit_nb(x[:, :partner], y, weight)[0]
    if PARTNER_BALANCE:
        weight = _sample_weights(y, _balance_share(int(y.sum()), int(len(y) - y.sum()), PARTNER_BALANCE))
    other = np.zeros(matrix.shape[1])
    other[partner:] = _FITS[PARTNER](x[:, partner:], y, weight, seed)[0]
    coef = nb / _spread(matrix, nb) + PARTNER_WEIGHT * other / _spread(matrix, other)
    return Model(coef.astype(np.float32), 0.0, trained_on)


def _spread(matrix: sparse.csr_matrix, coef: np.ndarray) -> float:
    return float(np.std(matrix @ coef)) or 1.0


def _balance_share(n_inc: int, n_exc: int, balance: str = "") -> float:
    """The share of the training weight that goes to the includes under ``balance`` (default ``BALANCE``)."""
    balance = balance or BALANCE
    if balance == "double":
        return _include_share(n_inc, n_exc)
    if balance == "ratio":
        return INCLUDE_RATIO / (INCLUDE_RATIO + 1)
    return 0.5


def _sample_weights(y: np.ndarray, share: float) -> np.ndarray:
    """Per labelled row (``y`` 1 = include): the includes share ``share`` of the weight, the excludes the rest;
    the weights average 1."""
    n_inc = float(y.sum())
    return np.where(y == 1, share * len(y) / n_inc, (1 - share) * len(y) / (len(y) - n_inc))


def _include_share(n_inc: int, n_exc: int) -> float:
    """ASReview's "double" balance: the share of the training weight that goes to the includes."""
    one = 2.155 * (n_inc / n_exc) ** -0.94
    zero = 1 - (1 - 0.789) * (1 + n_inc + n_exc) ** -1.0
    return one * n_inc / (one * n_inc + zero * n_exc)


def _with_pseudo_excludes(n: int, rows: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + len(rows))
    free = np.setdiff1d(np.arange(n), rows)
    extra = rng.choice(free, min(PSEUDO_EXCLUDES, len(free)), replace=False)
    return np.concatenate([rows, extra]), np.concatenate([y, np.zeros(len(extra))])


def fit_nb(x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float]:
    """Weighted multinomial naive Bayes, the same estimates as scikit-learn's ``MultinomialNB(alpha=NB_ALPHA)``
    with ``sample_weight`` (a test holds them equal), computed only over the terms the labelled rows contain: every
    other term has the smoothed count ``NB_ALPHA`` in both classes, so its weight is the same constant (the
    difference of the two classes' log totals). scikit-learn's input checks took 90% of a retrain, and the log of
    every term most of the rest; the screening replay retrains after every decision."""
    x = sparse.csr_matrix(x)
    n_features = x.shape[1]
    row_of = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    present = np.bincount(x.indices, minlength=n_features) > 0
    seen = np.flatnonzero(present)
    column = (np.cumsum(present) - 1)[x.indices]  # term -> its place among the seen terms
    data = x.data.astype(np.float64)
    class_weight = (weight * (y == 0), weight * (y == 1))
    counts = [np.bincount(column, weights=data * w[row_of], minlength=len(seen)) + NB_ALPHA for w in class_weight]
    unseen = (n_features - len(seen)) * NB_ALPHA
    log_total = [np.log(c.sum() + unseen) for c in counts]
    coef = np.full(n_features, log_total[0] - log_total[1], dtype=np.float64)
    coef[seen] += np.log(counts[1]) - np.log(counts[0])
    return coef, float(np.log(class_weight[1].sum()) - np.log(class_weight[0].sum()))


def _fit_cnb(x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float]:
    nb = ComplementNB(alpha=NB_ALPHA, norm=False)
    nb.fit(x, y, sample_weight=weight)
    return nb.feature_log_prob_[1] - nb.feature_log_prob_[0], 0.0


def _fit_lr(x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float]:
    clf = LogisticRegression(C=C, solver="liblinear", random_state=seed, max_iter=200)
    clf.fit(x, y, sample_weight=weight)
    return clf.coef_.ravel(), float(clf.intercept_[0])


def _fit_svm(x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float]:
    clf = LinearSVC(C=C, random_state=seed, max_iter=2000)
    clf.fit(x, y, sample_weight=weight)
    return clf.coef_.ravel(), float(clf.intercept_[0])


_FITS = {"nb": fit_nb, "cnb": _fit_cnb, "lr": _fit_lr, "svm": _fit_svm}
