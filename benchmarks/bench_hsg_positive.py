"""Issue 15 figure 4(c): recall of the topic rules on hand-labelled HSG-area records the rules were not written
against (/work/bench-data/hsg-positive: 118 positives, of which 21 are seed studies and left out here, and 33
near-miss negatives; labelled by someone who did not see the rules).

Recall is counted three ways, each over the independent positives the importer can read:

* exact: an automatic topic (a fact) is the labelled topic or a subtopic of it;
* HSG area: a fact anywhere in the HSG area (Diagnostics > Tubal patency, Infertility > Tubal factor, Surgery >
  Tubal catheterization; Diagnostics > Hysteroscopy for the two hysteroscopy labels): the record is found by a
  clinician filtering the encyclopedia's HSG evidence;
* with suggestions: the same, counting suggestions too (what an editor sees in editor mode).

Near-miss negatives (Lipiodol chemoembolization, sterilization, salpingitis, a rabbit study ...): how many get a
fact in the HSG area. Rule writers never look at which records these figures miss.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.realdata import hsg_positive
from library.evidence.classify import classify
from library.evidence.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
AREA = ("Diagnostics > Tubal patency", "Infertility > Tubal factor", "Surgery > Tubal catheterization")


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + " > ")


def _area(label: str) -> tuple[str, ...]:
    return (*AREA, "Diagnostics > Hysteroscopy") if _under(label, "Diagnostics > Hysteroscopy") else AREA


def run(report) -> None:  # type: ignore[no-untyped-def]
    data = hsg_positive()
    if data is None:
        report.add("recall", "hand-labelled HSG records (/work/bench-data/hsg-positive)", "data absent", "skipped")
        return
    pairs, unread = data
    taxonomy = load_taxonomy(ROOT / "taxonomy.toml")
    positives = [(r, row) for r, row in pairs if row["label"] != "negative" and row["in_seed"] != "yes"]
    negatives = [(r, row) for r, row in pairs if row["label"] == "negative"]
    exact = area = suggested_too = 0
    for record, row in positives:
        result = classify(record, taxonomy)
        label = row["label"]
        exact += any(_under(t, label) for t in result.topics)
        area += any(_under(t, root) for t in result.topics for root in _area(label))
        suggested_too += any(_under(t, root) for t in [*result.topics, *result.suggested] for root in _area(label))
    n = len(positives)
    note = f"{n} independent positives read ({unread} labelled records unreadable: no title, author or DOI)"
    report.add("recall", "HSG positives: recall, exact topic (facts)", f"{exact / n * 100:.0f}%",
               f"{exact}/{n}; {note}")
    report.add("recall", "HSG positives: recall, HSG area (facts)", f"{area / n * 100:.0f}%",
               f"{area}/{n}; a clinician filtering HSG evidence finds them")
    report.add("recall", "HSG positives: recall, HSG area incl. suggestions", f"{suggested_too / n * 100:.0f}%",
               f"{suggested_too}/{n}; what an editor sees")
    wrong = sum(any(_under(t, root) for t in classify(r, taxonomy).topics for root in AREA) for r, _ in negatives)
    report.add("recall", f"near-miss negatives given an HSG-area fact ({len(negatives)} read)", str(wrong),
               "Lipiodol TACE, sterilization, salpingitis, animal oviducts ...; lower is better")
