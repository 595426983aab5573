"""The fast paths of classification (literal scan, species pre-check, literal-led design statements) change no
result: the same topics, suggestions, design, level, reasons and --explain lines as without them, on a committed
sample of 616 real records (benchmarks/data/classify-sample.jsonl.gz); and the pieces they rest on are exact."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from benchmarks.classify_regression import SAMPLE, load_sample, outcome, reference_mode
from library.evidence import design, species
from library.evidence.classify import classify
from library.evidence.literals import LiteralScan, required_literals
from library.evidence.patterns import compile_pattern
from library.evidence.taxonomy import load_taxonomy
from library.evidence.topic_match import record_text
from library.model import Record

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def taxonomy():  # type: ignore[no-untyped-def]
    return load_taxonomy(ROOT / "taxonomy.toml")


@pytest.fixture(scope="module")
def sample() -> list[Record]:
    return load_sample(SAMPLE)


def _rules(taxonomy):  # type: ignore[no-untyped-def]
    return list(dict.fromkeys(p for t in taxonomy for r in (t.rules,) for p in (
        *r.patterns, *r.require, *r.anchors, *r.exclude, *r.unless)))


def _texts(records: list[Record]) -> list[str]:
    return [t.lower() for r in records for t in (r.title, r.abstract) if t]


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"tub(al|e)\b|fallopian", {"tub", "fallopian"}),
    (r"(dye|methylene blue)[^.;]{0,60}laparoscop", {"laparoscop"}),
    (r"(?<!non-)\brandomi[sz]ed\b", {"randomi"}),
    (r"(ab)cde", {"abcde"}),
    (r"(?:xyz)+q", {"xyz"}),
    (r"(?:study )?design\s*:", {"design"}),
    (r"hysterosalpingo[- ]?(contrast[- ]?|foam[- ]?)?sono", {"hysterosalpingo"}),
    (r"(ovarian|organ) doses?", {" dose"}),  # as long as "organ", and one literal rather than two
    (r"a|bcd", None),  # "a" is too short to be worth scanning for
    (r"(?:abc)?def|ghi", {"def", "ghi"}),
    (r"(?i)abc", None),  # case-insensitive: no literal is safe
    (r"\bHSG\b", None),
])
def test_required_literals(pattern, expected):  # type: ignore[no-untyped-def]
    flags = re.IGNORECASE if re.search(r"(?<!\\)[A-Z]", pattern) else 0
    got = required_literals(pattern, flags)
    assert (None if got is None else set(got)) == expected


@pytest.mark.slow
def test_every_match_of_every_rule_contains_one_of_its_literals(taxonomy, sample):  # type: ignore[no-untyped-def]
    """Soundness on real text: wherever ``re`` finds a rule, one of the literals read from it is in the match."""
    rules = _rules(taxonomy) + list(design._TITLE.values()) + list(design._ABSTRACT.values()) + [design._STATEMENT]
    checked = 0
    for text in _texts(sample):
        for rule in rules:
            if rule.needs is None:
                continue
            for match in re.finditer(rule.pattern, text):  # rules with literals match case-sensitively
                assert any(literal in match.group(0) for literal in rule.needs), (rule.pattern, match.group(0))
                checked += 1
    assert checked > 1000
    assert sum(r.needs is not None for r in rules) >= 0.8 * len(rules)  # nearly every rule can be skipped


def test_scan_finds_exactly_the_literals_that_occur(taxonomy, sample):  # type: ignore[no-untyped-def]
    scan = taxonomy.scan
    nested = LiteralScan(["tubal", "tubal patency", "bal p", "patency", "ency"])
    assert nested.present("the tubal patency test") == {"tubal", "tubal patency", "bal p", "patency", "ency"}
    assert sorted(nested.spans("é tubal patency")) == [(2, 7), (2, 15), (4, 9), (8, 15), (11, 15)]  # str indices
    assert LiteralScan(()).present("anything") == frozenset() and LiteralScan(()).spans("anything") == []
    for text in _texts(sample)[:400]:
        assert scan.present(text) == {literal for literal in scan.literals if literal in text}


def test_find_gives_search_s_match_on_every_rule(taxonomy, sample):  # type: ignore[no-untyped-def]
    scan = taxonomy.scan
    skipped = 0
    for text in _texts(sample)[:300]:
        present = scan.present(text)
        for rule in _rules(taxonomy):
            got, want = rule.find(text, present), rule.search(text)
            assert (None if got is None else got.span()) == (None if want is None else want.span()), rule.pattern
            skipped += rule.needs is not None and rule.needs.isdisjoint(present)
    assert skipped > 10_000


@pytest.mark.slow
def test_classification_of_the_sample_is_unchanged_by_the_fast_paths(taxonomy, sample):  # type: ignore[no-untyped-def]
    fast = [outcome(r, taxonomy) for r in sample]
    with reference_mode(taxonomy):
        slow = [outcome(r, taxonomy) for r in sample]
    differ = [(r.key, r.title[:60]) for r, a, b in zip(sample, fast, slow, strict=True) if a != b]
    assert differ == []
    assert len(sample) >= 600
    assert sum(bool(o[0]) for o in fast) >= 100 and sum(bool(o[1]) for o in fast) >= 30  # topics, suggestions
    assert sum(bool(o[2]) for o in fast) >= 100  # designs
    assert taxonomy.scan.literals  # the reference mode was undone


def test_design_statements_match_the_single_expression(sample):  # type: ignore[no-untyped-def]
    old = re.compile(
        r"\b(?:(?:study )?design\s*:|we (?:conducted|performed|undertook|carried out|report|present|designed|did) "
        r"(?:a|an)\b|th(?:is|e present) (?:was|is) (?:a|an)\b)[^.\n]*")
    texts = [*_texts(sample), "study design: rct. design: cohort\nthis was a trial. the present is an x. we did a",
             "redesign: no. xthis is a no. we report an. (this is a)", "we did an\nthis was a."]
    found = 0
    for text in texts:
        expected = [m.group(0) for m in old.finditer(text)]
        assert design.statements(text) == expected, text[:80]
        found += len(expected)
    assert found > 20


def test_species_pre_check_changes_no_count(sample):  # type: ignore[no-untyped-def]
    texts = [*_texts(sample), "rats. in vitro cell-line (mice)", "knock-down of x in hela cell lines", "ratio",
             "e.g.rats", "-rats-", "é rats", "pigs", "guinea-pigs", "qrt-pcr", "rt-pcr.", "x.rat."]
    fast = [species.word_counts(t) for t in texts]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(species, "has_trigger", lambda text: True)
        assert [species.word_counts(t) for t in texts] == fast
    for text in texts:
        assert species.has_trigger(text) == bool(species.trigger_words(text)), text
    assert sum(1 for c in fast if c[0]) >= 5


def test_a_taxonomy_with_its_scan_pickles(taxonomy):  # type: ignore[no-untyped-def]
    import pickle

    assert taxonomy.scan.literals
    copy = pickle.loads(pickle.dumps(taxonomy))
    text = "hysterosalpingography with oil-based contrast"
    assert copy.scan.present(text) == taxonomy.scan.present(text) != frozenset()


def test_rule_outside_the_taxonomy_scan_is_still_searched(taxonomy):  # type: ignore[no-untyped-def]
    rt = record_text(Record(key="x", title="A zebracorn study"), species.Species(""), taxonomy.scan)
    assert rt.search(compile_pattern("zebracorn")) is not None  # its literal was not scanned for: searched


def _cpu_per_record(records: list[Record], taxonomy, rounds: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(rounds):
            for record in records:
                classify(record, taxonomy)
        best = min(best, (time.process_time() - start) / rounds / len(records))
    return best


@pytest.mark.slow
def test_ten_thousand_word_abstract_is_classified_much_faster_than_without_the_fast_paths(taxonomy, sample):  # type: ignore[no-untyped-def]
    """Relative (the machine may be busy): at least twice as fast as the reference on 10,000 words of real text."""
    words = " ".join(r.abstract for r in sample if r.abstract).split()
    record = Record(key="long", title="Tubal flushing with oil-based contrast", abstract=" ".join(words[:10_000]))
    fast = _cpu_per_record([record], taxonomy, 10)
    with reference_mode(taxonomy):
        slow = _cpu_per_record([record], taxonomy, 10)
    assert fast * 2 < slow, (fast, slow)
