"""Build the bundled references.bib from ../shared/data/seed-studies.bib (run once; kept for provenance).

The seed file tags each study with namespaced keywords (topic:*, design:*, pubtype:*). reflib keeps those as
real fields: topics become hierarchical taxonomy paths (``topics``), the design tag the editor's ``design``,
PubMed publication types ``pubtype``; other namespaced keywords stay in ``keywords``. The seed's ``unverified``
field is kept verbatim: it is the verification status an editor works from.

    .venv/bin/python tools/convert_seeds.py ../shared/data/seed-studies.bib references.bib
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from library import Library

HSG = "Diagnostics > Tubal patency > HSG"
TOPICS = {
    "oil-vs-water-contrast": f"{HSG} > Contrast media",
    "lipiodol": f"{HSG} > Contrast media",
    "intravasation": f"{HSG} > Contrast media",
    "hsg-radiation-dose": f"{HSG} > Radiation exposure",
    "hsg-diagnostic-value": f"{HSG} > Diagnostic accuracy",
    "pain": f"{HSG} > Pain and tolerability",
    "tubal-patency": "Diagnostics > Tubal patency",
    "sis-vs-hsg": "Diagnostics > Tubal patency > SIS vs HSG",
    "saline-sonosalpingography": "Diagnostics > Tubal patency > SIS vs HSG",
    "air-saline-hycosy": "Diagnostics > Tubal patency > HyCoSy and HyFoSy",
    "hyfosy": "Diagnostics > Tubal patency > HyCoSy and HyFoSy",
    "mr-hsg": "Diagnostics > Tubal patency > MR-HSG",
    "chlamydia-antibody-test": "Diagnostics > Tubal patency > Chlamydia antibody testing",
    "hysteroscopy": "Diagnostics > Hysteroscopy",
    "tubal-flushing": "Infertility > Tubal factor > Tubal flushing",
    "proximal-tubal-obstruction": "Infertility > Tubal factor > Proximal tubal obstruction",
    "tubal-catheterization": "Surgery > Tubal catheterization",
    "selective-salpingography": "Surgery > Tubal catheterization > Selective salpingography",
    "endometriosis": "Endometriosis",
}
# seed design tag -> reflib design vocabulary; the first match in this order wins
DESIGNS = [
    ("protocol", "protocol"), ("ipd-meta-analysis", "meta-analysis"), ("network-meta-analysis", "meta-analysis"),
    ("meta-analysis", "meta-analysis"), ("diagnostic-test-accuracy-review", "systematic-review"),
    ("systematic-review", "systematic-review"), ("rct", "rct"), ("rct-follow-up", "rct"),
    ("non-inferiority", "rct"), ("diagnostic-accuracy", "diagnostic-accuracy"), ("prospective-cohort", "cohort"),
    ("retrospective", "cohort"), ("prospective", "cohort"), ("case-series", "case-series"),
    ("prospective-descriptive", "case-series"), ("guideline", "guideline"), ("narrative-review", "narrative-review"),
]


def convert(source: Path, target: Path) -> None:
    seeds = Library.load(source, use_cache=False)
    out = Library.create(target)
    for record in seeds.records():
        tags = record.keywords
        topics = [TOPICS[t.split(":", 1)[1]] for t in tags if t.startswith("topic:") and t[6:] in TOPICS]
        seed_designs = [t.split(":", 1)[1] for t in tags if t.startswith("design:")]
        design = next((ours for theirs, ours in DESIGNS if theirs in seed_designs), "")
        record.topics = list(dict.fromkeys(topics))
        record.design = design
        record.pubtypes = [t.split(":", 1)[1] for t in tags if t.startswith("pubtype:")]
        record.keywords = [t for t in tags if not t.startswith(("topic:", "pubtype:"))
                           and not (t.startswith("design:") and design)]
        record.added = "2026-11-25"
        out.add(record)
    out.save()


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
