"""Issue 15 figures on a large random sample of real PubMed records (50,788; /work/bench-data/pubmed-random):
false positives per 10,000 records for every top-level category and for the HSG / tubal-patency subtree, design
against PubMed publication types, animal studies, and classification time per real record.

The rules were written against the tune part only; the report part's figures are the ones that count. Tags are
judged by hand as benchmarks/topic_judging.md says; the verdicts are in benchmarks/judgments/random_topics.csv
(``pmid,part,topic,verdict,note``). A tag the current rules give that has no verdict yet is *unjudged*: shown,
and counted as wrong in the worst case.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path

from benchmarks.realdata import part_of, pubmed_random
from library.evidence.classify import classify
from library.evidence.evaluate import pubtype_designs
from library.evidence.species import detect_species
from library.evidence.taxonomy import load_taxonomy
from library.model import Record

ROOT = Path(__file__).resolve().parent.parent
JUDGMENTS = ROOT / "benchmarks" / "judgments" / "random_topics.csv"
TUBAL = "Diagnostics > Tubal patency"
HSG_AREA = "HSG / tubal-patency subtree"
WRONG = ("wrong", "borderline")


def load_judgments(path: Path = JUDGMENTS) -> dict[tuple[str, str], str]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {(row["pmid"], row["topic"]): row["verdict"] for row in csv.DictReader(handle)}


def groups(path: str) -> list[str]:
    """What a tag counts against: its top-level category, and the HSG subtree for tubal-patency paths."""
    out = [path.split(" > ")[0]]
    if path == TUBAL or path.startswith(TUBAL + " > "):
        out.append(HSG_AREA)
    return out


def _per10k(count: int, total: int) -> str:
    return f"{count / total * 10_000:.1f}" if total else "-"


def _topics(report, results, judgments, categories: list[str]) -> None:  # type: ignore[no-untyped-def]
    for part in ("report", "tune"):
        rows = [(r, c) for r, c in results if part_of(r.pmid) == part]
        total = len(rows)
        tagged: Counter[str] = Counter()
        wrong: Counter[str] = Counter()
        border: Counter[str] = Counter()
        unjudged: Counter[str] = Counter()
        suggested: Counter[str] = Counter()
        for record, result in rows:
            for path in result.topics:
                verdict = judgments.get((record.pmid, path), "")
                for group in groups(path):
                    tagged[group] += 1
                    wrong[group] += verdict in WRONG
                    border[group] += verdict == "borderline"
                    unjudged[group] += not verdict
            for path in result.suggested:
                for group in groups(path):
                    suggested[group] += 1
        where = f"{part} part, {total:,} records"
        report.add("topics", f"{where}: facts / suggestions", f"{sum(tagged.values()) - tagged[HSG_AREA]} / "
                   f"{sum(suggested.values()) - suggested[HSG_AREA]}", "suggestions are not facts (editor-only)")
        for group in [HSG_AREA, *categories]:
            if not tagged[group] and group != HSG_AREA:
                continue
            limit = "target <= 0.5 (1 per 20,000)" if group == HSG_AREA else "target <= 10"
            worst = f"; worst case {_per10k(wrong[group] + unjudged[group], total)}" if unjudged[group] else ""
            report.add("topics", f"  {part}: {group} FP per 10k", _per10k(wrong[group], total),
                       f"{wrong[group]} wrong ({border[group]} borderline) of {tagged[group]} tagged, "
                       f"{unjudged[group]} unjudged{worst}; {suggested[group]} suggested; {limit}")


def _designs(report, results) -> None:  # type: ignore[no-untyped-def]
    for part in ("report", "tune"):
        _agreement(report, [(r, c) for r, c in results if part_of(r.pmid) == part], part)


def _agreement(report, results, part: str) -> None:  # type: ignore[no-untyped-def]
    named = agree = preclinical = 0
    misses: Counter[str] = Counter()
    for record, result in results:
        allowed = pubtype_designs(record.pubtypes)
        if not allowed:
            continue
        named += 1
        if result.design.design in allowed:
            agree += 1
        else:
            preclinical += result.design.design == "preclinical"
            misses[f"{result.design.design or '(none)'} vs {'/'.join(sorted(allowed))}"] += 1
    report.add("design", f"{part}: design agrees with PubMed publication types ({named:,} name one)",
               f"{agree / named * 100:.1f}%" if named else "-",
               f"{named - agree} disagree ({preclinical} of them preclinical); target >= 97%")
    for what, count in misses.most_common(3):
        report.add("design", f"  {part} disagreement: {what}", str(count), "")


def _animals(report, results) -> None:  # type: ignore[no-untyped-def]
    mesh_animal = text_animal = bad_mesh = bad_text = 0
    for record, result in results:
        species = result.species
        if species.kind != "animal":
            continue
        if record.mesh:
            mesh_animal += 1
            bad_mesh += result.design.design in ("rct", "cohort")
        else:
            text_animal += 1
            bad_text += result.design.design in ("rct", "cohort")
    report.add("design", f"animal studies classed rct or cohort (MeSH: {mesh_animal:,}, text: {text_animal:,})",
               str(bad_mesh + bad_text), "target 0")
    vet = [(r, c) for r, c in results if any("veterinary" in p.casefold() for p in r.pubtypes)
           or "veterinar" in r.journal.casefold()]
    report.add("design", f"veterinary journals / publication types ({len(vet)} records) classed rct or cohort",
               str(sum(c.design.design in ("rct", "cohort") for _, c in vet)), "target 0")


def _species_check(report, records: list[Record]) -> None:
    """The text rules for species (used when a record has no MeSH) against NLM's check tags, tune part only."""
    from library.evidence.species import _from_mesh, _from_text, _heading  # the two halves, compared

    agree = total = wrong_human = 0
    for record in records:
        if part_of(record.pmid) != "tune" or not record.mesh or not record.abstract:
            continue
        truth = _from_mesh({_heading(t) for t in record.mesh})
        if truth is None:
            continue
        total += 1
        guess = _from_text(record)
        human_truth, human_guess = truth.kind == "human", not guess.non_human
        agree += human_truth == human_guess
        wrong_human += human_truth and not human_guess
    report.add("design", f"species from text vs MeSH check tags ({total:,} tune records with both)",
               f"{agree / total * 100:.1f}%" if total else "-",
               f"{wrong_human} human studies called animal/in-vitro (their topics would be lost)")


def run(report) -> None:  # type: ignore[no-untyped-def]
    data = pubmed_random()
    if data is None:
        report.add("topics", "random PubMed sample (/work/bench-data/pubmed-random)", "data absent", "skipped")
        return
    taxonomy = load_taxonomy(ROOT / "taxonomy.toml")
    records = [r for rows in data.values() for r in rows if r.pmid]
    start = time.process_time()
    results = [(r, classify(r, taxonomy)) for r in records]
    cpu = (time.process_time() - start) / len(records) * 1e6
    report.add("topics", f"classify {len(records):,} real PubMed records (topics, design, level)",
               f"{cpu:.0f} us CPU/record", "target <= 1 ms")
    judgments = load_judgments()
    _topics(report, results, judgments, [t.name for t in taxonomy.roots()])
    _designs(report, results)
    _animals(report, results)
    _species_check(report, records)
    assert detect_species  # imported for readers of this module: the species rules the figures above measure
