"""Issue 6 / 15 figures: precision and recall of the topic and design rules against hand-checked labels of the 36
seeds, and classification speed on a synthetic library and on bad input.

The labels (tests/fixtures/evidence/seed_labels.toml) say how each was decided. The rules were written while
reading the same titles, so these are in-sample figures, an upper bound: bench_topics_random (false positives on
random PubMed records) and bench_hsg_positive (recall on hand-labelled HSG records) measure on unseen records.
"""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

from benchmarks.classify_regression import SAMPLE, corpus_records, load_sample, outcome, reference_mode
from benchmarks.synth import write_library
from library import Library
from library.evidence.checks import evidence_problems
from library.evidence.classify import classify, match_topics
from library.evidence.design import DESIGNS, detect_design
from library.evidence.evaluate import score_designs, score_topics
from library.evidence.taxonomy import load_taxonomy
from library.model import Record

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "fixtures" / "evidence" / "seed_labels.toml"
WORK = ROOT / ".bench"
CORPUS = ROOT.parent / "shared" / "corpus"


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _cpu_us(records: list[Record], taxonomy, rounds: int) -> float:  # type: ignore[no-untyped-def]
    """CPU microseconds per record, best of three (other processes on a busy machine only ever add time)."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(rounds):
            for record in records:
                classify(record, taxonomy)
        best = min(best, (time.process_time() - start) / rounds / max(len(records), 1))
    return best * 1e6


def _bad_input(report, taxonomy) -> None:  # type: ignore[no-untyped-def]
    """Records with no abstract, a bracketed non-English title, an all-caps title, a 10,000-word abstract."""
    words = ["hysterosalpingography", "tubal", "patency", "oil-based", "contrast", "women", "infertility", "pain",
             "dose", "the", "of", "and", "in", "patients", "randomized", "cohort"]
    cases = {
        "no abstract": Record(key="a", title="Pain relief during hysterosalpingography"),
        "bracketed non-English title": Record(key="b", title="[Hysterosalpingographie und Tubendurchgängigkeit "
                                              "bei Sterilität (author's transl)]", language="ger"),
        "all-caps title": Record(key="c", title="HYSTEROSALPINGO-FOAM SONOGRAPHY FOR TUBAL PATENCY TESTING"),
        "10,000-word abstract": Record(key="d", title="Tubal flushing", abstract=" ".join(
            words[i % len(words)] for i in range(10_000))),
    }
    for name, record in cases.items():
        result = classify(record, taxonomy)
        cpu = _cpu_us([record], taxonomy, 50)
        report.add("classify", f"bad input: {name}", f"{cpu:.0f} us CPU",
                   f"{len(result.topics)} topic(s), design {result.design.design or '-'}; target <= 1 ms")


def _speed(report, taxonomy) -> None:  # type: ignore[no-untyped-def]
    """Real records (the committed sample of benchmarks/data) and 10,000 words of real abstracts, each with and
    without the fast paths (benchmarks/classify_regression.py)."""
    sample = load_sample(SAMPLE)
    words = " ".join(r.abstract for r in sample if r.abstract).split()
    long = Record(key="long", title="Tubal flushing with oil-based contrast", abstract=" ".join(words[:10_000]))
    cases = {f"{len(sample)} real records (benchmarks/data sample), per record": (sample, 2),
             "10,000-word abstract of real text": ([long], 30)}
    for name, (records, rounds) in cases.items():
        fast = _cpu_us(records, taxonomy, rounds)
        with reference_mode(taxonomy):
            slow = _cpu_us(records, taxonomy, rounds)
        report.add("classify", f"classify {name}", f"{fast:.0f} us CPU",
                   f"target <= 1 ms; {slow:.0f} us without the fast paths")


def _unchanged(report, taxonomy) -> None:  # type: ignore[no-untyped-def]
    """Every readable record of ../shared/corpus and the bundled library, with and without the fast paths."""
    if not CORPUS.is_dir():
        report.add("classify", "fast paths change no result (../shared/corpus)", "skipped", "needs ../shared/corpus")
        return
    rows = corpus_records(CORPUS)
    fast = [outcome(r, taxonomy, with_explain=False) for _, r in rows]
    with reference_mode(taxonomy):
        differ = [source for (source, r), got in zip(rows, fast, strict=True)
                  if outcome(r, taxonomy, with_explain=False) != got]
    tagged = sum(bool(o[0] or o[1]) for o in fast)
    report.add("classify", f"fast paths change no result: {len(rows)} corpus + bundled records",
               f"{len(differ)} differ", f"target 0 (topics, suggestions, design, level, reasons); {tagged} tagged, "
               f"{sum(bool(o[2]) for o in fast)} with a design")
    for source in sorted(set(differ))[:5]:
        report.add("classify", f"  differs: {source}", "", "")


def run(report) -> None:  # type: ignore[no-untyped-def]
    taxonomy = load_taxonomy(ROOT / "taxonomy.toml")
    labels = tomllib.loads(LABELS.read_text(encoding="utf-8"))
    lib = Library.load(ROOT / "references.bib", use_cache=False)
    records = {key: lib.get(key) for key in labels}
    topics = {key: match_topics(r, taxonomy) for key, r in records.items()}
    designs = {key: detect_design(r).design for key, r in records.items()}
    gold_topics = {key: value["topics"] for key, value in labels.items()}
    gold_designs = {key: value["design"] for key, value in labels.items()}

    exact = score_topics(topics, gold_topics)
    hier = score_topics(topics, gold_topics, hierarchical=True)
    n = len(labels)
    report.add("classify", f"topic rules, {n} seeds (in-sample): precision (exact paths)", _pct(exact.precision),
               f"{exact.true_positive}/{exact.predicted}; target >= 95%")
    report.add("classify", f"topic rules, {n} seeds (in-sample): recall (exact paths)", _pct(exact.recall),
               f"{exact.true_positive}/{exact.expected}; target >= 90%")
    report.add("classify", "topic rules: precision / recall (hierarchical)",
               f"{_pct(hier.precision)} / {_pct(hier.recall)}", "ancestors count as partial credit")
    for miss in exact.misses:  # "+" = tagged but not in the labels, "-" = in the labels but not tagged
        key, _, what = miss.partition(": ")
        report.add("classify", f"  topic miss: {key}", "", what)

    design = score_designs(designs, gold_designs)
    report.add("classify", f"design rules, {n} seeds: precision (of classified)", _pct(design.precision),
               f"{design.true_positive}/{design.predicted}; target >= 90%")
    report.add("classify", f"design rules, {n} seeds: recall (of all)", _pct(design.recall),
               f"{design.true_positive}/{design.expected}; target >= 75%")
    for name in DESIGNS:
        one = score_designs(designs, gold_designs, name)
        if one.expected or one.predicted:
            report.add("classify", f"  design {name}: precision / recall",
                       f"{_pct(one.precision)} / {_pct(one.recall)}", f"{one.expected} labelled")
    for miss in design.misses:
        key, _, what = miss.partition(": ")
        report.add("classify", f"  design miss: {key}", "", what)

    synthetic = WORK / "synthetic-10000.bib"
    if not synthetic.exists():  # bench_store writes the same file; whichever runs first makes it
        WORK.mkdir(exist_ok=True)
        write_library(synthetic, 10000)
    big = Library.load(synthetic, use_cache=False)
    sample = list(big.records())
    start, cpu = time.perf_counter(), time.process_time()
    for record in sample:
        classify(record, taxonomy)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    report.add("classify", f"classify {len(sample)} synthetic records (topics, design, level)",
               f"{elapsed:.2f} s", f"{cpu / max(len(sample), 1) * 1e6:.0f} us CPU/record; target <= 1 ms")
    _bad_input(report, taxonomy)
    _speed(report, taxonomy)
    _unchanged(report, taxonomy)
    fresh = Library.load(synthetic, use_cache=False)
    fresh.frame()
    start = time.perf_counter()
    problems = evidence_problems(fresh)
    report.add("classify", f"evidence checks of `reflib check`, {len(fresh)} records",
               f"{time.perf_counter() - start:.2f} s", f"{len(problems)} problems; target <= 2 s")
