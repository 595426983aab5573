"""Issue 15 figures on committed, unselected PubMed samples (benchmarks/data, provenance in
pubmed-dp-samples.md), fetched by a third party by publication date only, title and abstract only (no MeSH, no
publication types): every record with an abstract dated 2018-01-01 (4,867), each labelled by that party's rater as
systematic review, meta-analysis, trial, randomized trial, protocol, rodent study, human study or about children;
and the first 2,500 with an abstract dated July 2022 (no labels).

The rules were never written against this sample. Topic tags are judged by hand (benchmarks/topic_judging.md;
verdicts in benchmarks/judgments/random_topics.csv); the report half (the shared split rule) is judged, the tune
half's tags are shown unjudged. Designs and species are compared with the third party's labels. The sample is
small: one false positive in the report half (about 3,700 records) is 2.7 per 10,000, so it cannot show the HSG
target (<= 0.5).
"""

from __future__ import annotations

import csv
import gzip
import time
from pathlib import Path

from benchmarks.bench_topics_random import _topics, load_judgments
from benchmarks.realdata import part_of
from library.evidence.classify import Classification, classify
from library.evidence.taxonomy import load_taxonomy
from library.model import Record

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = (ROOT / "benchmarks" / "data" / "pubmed-dp2018-sample.tsv.gz",
           ROOT / "benchmarks" / "data" / "pubmed-dp2022-07-sample.tsv.gz")
# labelled later (2022-07 sample by one rater, 1,000 more by another): designs only, never used to write a rule
LATER = (SAMPLES[1], ROOT / "benchmarks" / "data" / "pubmed-2022-wim-sample.tsv.gz")
LABELS = ("systematic_review", "meta_analysis", "rodent", "human", "trial", "randomized_trial", "child", "protocol")


def load_sample(paths: tuple[Path, ...] = SAMPLES) -> list[tuple[Record, dict[str, str]]]:
    """(record as an import would make it from title and abstract, the rater's labels: '' when none) per row."""
    csv.field_size_limit(1 << 26)
    out = []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        out.extend((Record(key=f"pmid{row['pmid']}", pmid=row["pmid"], title=row["title"], abstract=row["abstract"]),
                    {k: row.get(k) or "" for k in LABELS}) for row in rows)
    return out


def _pr(hits: int, predicted: int, expected: int) -> str:
    precision = f"{hits / predicted * 100:.0f}%" if predicted else "-"
    recall = f"{hits / expected * 100:.0f}%" if expected else "-"
    return f"{precision} / {recall}"


def _designs(report, rows: list[tuple[Record, dict[str, str], Classification]],  # type: ignore[no-untyped-def]
             where: str = "report") -> None:
    """The rules' design against the rater's labels (report half)."""
    checks = {
        "randomized trial": ("randomized_trial", {"rct"}),
        "trial (randomized or not)": ("trial", {"rct", "non-randomized-trial"}),
        "systematic review or meta-analysis": (("systematic_review", "meta_analysis"),
                                               {"systematic-review", "meta-analysis"}),
        "protocol": ("protocol", {"protocol"}),
    }
    for name, (label, designs) in checks.items():
        keys = label if isinstance(label, tuple) else (label,)
        if not any(lab[k] for _, lab, _ in rows for k in keys):
            continue  # a sample without this label (the 2022 samples have no "trial (randomized or not)")
        expected = [any(lab[k] == "1" for k in keys) for _, lab, _ in rows]
        predicted = [c.design.design in designs for _, _, c in rows]
        hits = sum(e and p for e, p in zip(expected, predicted, strict=True))
        false = sum(predicted) - hits
        report.add("design", f"  {where}: {name} - precision / recall vs the rater",
                   _pr(hits, sum(predicted), sum(expected)),
                   f"{sum(expected)} labelled, {sum(predicted)} classed, "
                   f"{false / len(rows) * 10000:.0f} false per 10,000")
    rodents = [c for _, lab, c in rows if lab["rodent"] == "1"]
    report.add("design", f"  {where}: rodent studies (rater) classed rct or cohort ({len(rodents)})",
               str(sum(c.design.design in ("rct", "cohort") for c in rodents)),
               f"target 0; {sum(c.design.design == 'preclinical' for c in rodents)} classed preclinical")
    humans = [c for _, lab, c in rows if lab["human"] == "1"]
    if not humans:
        return
    report.add("design", f"  report: human studies (rater) called animal or in-vitro ({len(humans)})",
               str(sum(c.species.non_human for c in humans)), "their topics would be lost")


def run(report) -> None:  # type: ignore[no-untyped-def]
    if not all(path.is_file() for path in SAMPLES):
        report.add("topics", "PubMed samples by publication date (benchmarks/data)", "data absent", "skipped")
        return
    taxonomy = load_taxonomy(ROOT / "taxonomy.toml")
    sample = load_sample()
    start = time.process_time()
    rows = [(record, labels, classify(record, taxonomy)) for record, labels in sample]
    cpu = (time.process_time() - start) / len(rows) * 1e6
    report.add("topics", f"PubMed by date (2018-01-01, 2022-07): classify {len(rows):,} records (title + abstract)",
               f"{cpu:.0f} us CPU/record", "target <= 1 ms; benchmarks/data/pubmed-dp-samples.md")
    _topics(report, [(r, c) for r, _, c in rows], load_judgments(), [t.name for t in taxonomy.roots()])
    _designs(report, [row for row in rows if part_of(row[0].pmid) == "report" and row[1]["human"]])
    # the 2022 samples' labels (added after the rules were written; see design-rct-round2.md): report part only
    later = [(record, labels, classify(record, taxonomy)) for record, labels in load_sample(LATER)
             if part_of(record.pmid) == "report"]
    _designs(report, later, where=f"2022 samples, report part ({len(later):,} records)")
