"""The screening replay's figures (WSS@95 and recall as the issue defines them, the priors left out as ASReview
does) and the ranking model's naive Bayes (the same estimates as scikit-learn's)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy import sparse
from sklearn.naive_bayes import MultinomialNB

from library.screen import model
from library.screen.simulate import Dataset, recall_at, replay, simulate, wss


def test_wss_is_the_share_not_screened_when_95_percent_recall_is_reached_minus_005():
    labels = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
    # 2 includes: 95% recall needs both; the second is the 5th record read: (TN + FN) / N - 0.05 = 5/10 - 0.05
    assert wss(np.arange(10), labels) == 0.45
    # the order is what counts, not the index
    assert wss(np.array([4, 0, 1, 2, 3, 5, 6, 7, 8, 9]), labels) == 0.8 - 0.05


def test_wss_needs_19_of_20_includes_exactly():
    # 95% of 20 includes is 19: the last include may come after every exclude
    labels = np.zeros(100, dtype=np.int8)
    labels[:20] = 1
    order = np.r_[np.arange(19), np.arange(20, 100), 19]  # the 20th include last
    assert abs(wss(order, labels) - ((100 - 19) / 100 - 0.05)) < 1e-12


def test_figures_count_only_the_records_in_the_order():
    labels = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0])
    order = np.array([4, 9, 2, 3, 5, 6, 7, 8, 10, 11])  # records 0 and 1 (the priors) left out: N = 10, 2 includes
    assert wss(order, labels) == (10 - 2) / 10 - 0.05
    assert recall_at(order, labels, 0.10) == 0.5  # first record of 10
    assert recall_at(order, labels, 0.25) == 1.0  # first 3 of 10


WORDS = ["oil contrast tubal", "stent coronary cardiac", "asthma inhaler child", "tubal flushing fertility"]


def toy(n: int, share: float, seed: int, text: Callable[[int, int], str]) -> Dataset:
    """``n`` records, about ``share`` of them included (the first two always), each record's text from
    ``text(index, label)``."""
    labels = (np.random.default_rng(seed).random(n) < share).astype(np.int8)
    labels[:2] = 1
    return Dataset("toy", [text(i, int(y)) for i, y in enumerate(labels)], labels)


def test_simulate_leaves_the_priors_out_of_its_figures():
    data = toy(80, 0.15, 5, lambda n, y: f"{WORDS[0] if y else WORDS[1 + n % 3]} note{n % 7}")
    labels = data.labels
    order = replay(data, seed=4)
    result = simulate(data, seed=4, random_runs=3)
    assert result.priors == 2 and result.records == 80
    assert result.wss95 == wss(order[2:], labels)
    assert result.wss95 != wss(order, labels)  # counting the priors as screened would give another figure
    assert result.recall10 == recall_at(order[2:], labels, 0.10)


def test_naive_bayes_equals_scikit_learn_multinomial_nb_with_sample_weights():
    rng = np.random.default_rng(0)
    x = sparse.random(60, 40, density=0.2, random_state=1, format="csr", dtype=np.float32)
    y = (rng.random(60) < 0.2).astype(float)
    weight = rng.random(60) + 0.5
    coef, intercept = model.fit_nb(x, y, weight)
    nb = MultinomialNB(alpha=model.NB_ALPHA).fit(x, y, sample_weight=weight)
    assert np.allclose(coef, nb.feature_log_prob_[1] - nb.feature_log_prob_[0], rtol=1e-6, atol=1e-9)
    assert np.isclose(intercept, nb.class_log_prior_[1] - nb.class_log_prior_[0])


def test_a_gzipped_labelled_file_reads_like_the_plain_one(tmp_path):
    import gzip

    from library.screen.simulate import read_dataset

    text = "title,abstract,label_included\nOil contrast,tubal patency,1\nStent,coronary,0\nHSG,oil,1\nDiet,salt,0\n"
    plain = tmp_path / "set.csv"
    plain.write_text(text)
    packed = tmp_path / "set.csv.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    a, b = read_dataset(plain), read_dataset(packed)
    assert a.name == b.name == "set" and a.texts == b.texts and a.labels.tolist() == b.labels.tolist() == [1, 0, 1, 0]




def test_a_word_starts_with_a_letter_and_keeps_its_hyphens(monkeypatch):
    monkeypatch.setattr(model, "NGRAMS", (1, 2))
    terms = set(model.fit_features(["Placebo-controlled trial of 5-HT1B agonists, 2.5 mg", "open trial"]).terms)
    assert {"placebo-controlled", "agonists", "mg", "placebo-controlled trial"} <= terms and "2" not in terms
    monkeypatch.setattr(model, "TOKEN_PATTERN", r"(?u)\b\w\w+\b")  # the measured alternative (not adopted)
    terms = set(model.fit_features(["Placebo-controlled trial of 5-HT1B agonists, 2.5 mg", "open trial"]).terms)
    assert {"placebo", "controlled", "ht1b", "placebo controlled"} <= terms and "placebo-controlled" not in terms


def test_the_replays_running_naive_bayes_equals_a_retrain():
    rng = np.random.default_rng(3)
    x = sparse.random(50, 30, density=0.15, random_state=2, format="csr", dtype=np.float32)
    running = model.RunningNB(x)
    inc, exc = [], []
    for row in rng.permutation(50)[:25]:
        included = bool(rng.random() < 0.3) or not inc
        (inc if included else exc).append(int(row))
        running.add(int(row), included)
        if inc and exc:
            fresh, kept = model.train(x, inc, exc), running.model()
            assert np.allclose(fresh.coef, kept.coef, rtol=1e-5, atol=1e-6)
            assert np.isclose(fresh.intercept, kept.intercept) and fresh.trained_on == kept.trained_on


def test_the_replay_retrains_after_every_decision_as_the_inbox_does(monkeypatch):
    rng = np.random.default_rng(6)
    labels = (rng.random(40) < 0.2).astype(np.int8)
    labels[:2] = 1
    texts = [f"{'tubal oil' if y else 'stent'} word{n % 5}" for n, y in enumerate(labels)]
    calls = []
    real = model.RunningNB.model
    monkeypatch.setattr(model.RunningNB, "model", lambda self: calls.append(1) or real(self))
    replay(Dataset("toy", texts, labels), seed=1)
    assert len(calls) == 40 - 2  # one retrain before each record offered after the two priors
    calls.clear()
    monkeypatch.setattr(model, "UNSURE_EVERY", 0)  # an uncertainty pick is one record even in batch mode
    replay(Dataset("toy", texts, labels), seed=1, every_decision_until=10, batch=5)
    assert len(calls) == (10 - 2) + 30 // 5


def test_a_replay_stopped_once_the_figures_are_decided_gives_the_figures_of_a_full_replay():
    data = toy(300, 0.1, 11, lambda n, y: f"{WORDS[0] if y and n % 4 else WORDS[1 + n % 3]} note{n % 11} w{n % 5}")
    labels = data.labels
    for seed in (0, 3):
        full = replay(data, seed=seed)[2:]
        early = replay(data, seed=seed, until_decided=True)[2:]
        assert sorted(full) == sorted(early)
        assert not np.array_equal(full, early)  # the tail after the decided point was not replayed
        result = simulate(data, seed=seed, random_runs=2)
        assert result.wss95 == wss(full, labels)
        assert (result.recall10, result.recall25) == (recall_at(full, labels, 0.10), recall_at(full, labels, 0.25))


def test_ratio_balance_weighs_the_includes_as_asreviews_balanced_sample_weight(monkeypatch):
    monkeypatch.setattr(model, "BALANCE", "ratio")
    monkeypatch.setattr(model, "INCLUDE_RATIO", 9.8)
    share = model._balance_share(3, 40)
    # ASReview: includes weigh 1 each, excludes n_inc / (ratio * n_exc), then scaled to average 1
    inc_total, exc_total = 3 * 1.0, 40 * 3 / (9.8 * 40)
    assert share == pytest.approx(inc_total / (inc_total + exc_total))


def test_a_bad_feature_setting_is_an_error_not_an_empty_vocabulary(monkeypatch):
    assert model.fit_features(["the of and", "a an"]).matrix.shape == (2, 0)  # only stop words: no features
    monkeypatch.setattr(model, "BINARY", 1)  # scikit-learn wants a bool: once read as "no words", every score 0
    with pytest.raises(ValueError, match="binary"):
        model.fit_features(["oil contrast tubal", "coronary stent"])


def test_the_ensemble_partner_reads_only_its_own_block(monkeypatch):
    from sklearn.svm import LinearSVC

    for key, value in {"CLASSIFIER": "ens", "PARTNER": "svm", "PARTNER_FEATURES": "asreview",
                       "PARTNER_BALANCE": "ratio", "C": 0.11}.items():
        monkeypatch.setattr(model, key, value)
    data = toy(60, 0.2, 3, lambda n, y: f"{WORDS[0] if y else WORDS[1 + n % 3]} w{n % 4}" + " of the" * (n % 2))
    features = model.fit_features(data.texts)
    assert 0 < features.partner < features.matrix.shape[1] and features.words == features.partner
    partner_terms = set(features.terms[features.partner:])
    assert "oil contrast" in partner_terms and "of the" in partner_terms  # bigrams, no stop-word list
    assert "of" not in set(features.terms[:features.partner])  # naive Bayes keeps its stop words out
    inc, exc = [0, 1, *np.flatnonzero(data.labels[2:20]) + 2], [int(i) + 2 for i in np.flatnonzero(1 - data.labels[2:20])]
    ranker = model.train(features.matrix, inc, exc, partner=features.partner)
    x = features.matrix
    rows = np.array([*inc, *exc])
    y = np.r_[np.ones(len(inc)), np.zeros(len(exc))]
    nb = np.asarray(x[:, :features.partner] @ model.fit_nb(x[rows][:, :features.partner], y,
                                                              np.where(y == 1, 0.5 * len(y) / len(inc),
                                                                       0.5 * len(y) / len(exc)))[0]).ravel()
    share = 9.8 / 10.8
    weight = np.where(y == 1, share * len(y) / len(inc), (1 - share) * len(y) / len(exc))
    svm = LinearSVC(C=0.11, random_state=0, max_iter=2000).fit(x[rows][:, features.partner:], y, sample_weight=weight)
    other = np.asarray(x[:, features.partner:] @ svm.coef_.ravel()).ravel()
    expected = nb / nb.std() + other / other.std()
    assert np.allclose(ranker.scores(x), expected, atol=1e-4)
