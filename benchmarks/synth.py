"""Synthetic but realistic libraries for `make bench`: journal articles of ~1.5 KB with structured abstracts."""

from __future__ import annotations

import random
from pathlib import Path

FAMILY = ["Dreyer", "van Rijswijk", "Mol", "Wang", "Johnson", "Maheux-Lacroix", "Perisinakis", "Thurmond",
          "García", "Müller", "Østergaard", "de Bruin", "Nguyen", "Kowalski", "O'Brien", "Smith", "Chen", "Patel",
          "Silva", "Rossi", "Yamamoto", "Kim", "Ivanov", "Lefèvre", "Andersson", "Hooker", "Mijatovic", "Goddijn"]
GIVEN = ["Kim", "Joukje", "Ben W. J.", "Rui", "Neil P.", "Sarah", "Kostas", "Amy S.", "María", "Jürgen",
         "Lars", "Jan Peter", "Linh", "Anna", "Seán", "John", "Wei", "Priya", "Ana", "Marco", "Yuki", "Min-jun"]
JOURNALS = ["Fertility and Sterility", "Human Reproduction", "New England Journal of Medicine",
            "Ultrasound in Obstetrics \\& Gynecology", "Journal of Minimally Invasive Gynecology",
            "Reproductive BioMedicine Online", "Radiology", "Cochrane Database of Systematic Reviews",
            "European Journal of Radiology", "Journal of Vascular and Interventional Radiology"]
WORDS = ["hysterosalpingography", "tubal", "patency", "oil-based", "water-based", "contrast", "infertility",
         "randomized", "trial", "sonography", "saline", "radiation", "dose", "ovarian", "catheterization",
         "recanalization", "proximal", "obstruction", "pregnancy", "live", "birth", "women", "diagnostic",
         "accuracy", "meta-analysis", "cohort", "outcomes", "foam", "laparoscopy", "chromopertubation"]
TOPICS = ["Diagnostics > Tubal patency > SIS vs HSG", "Diagnostics > HSG > Radiation exposure",
          "Diagnostics > HSG > Contrast media", "Infertility > Tubal factor > Tubal flushing",
          "Surgery > Tubal catheterization", "Diagnostics > Hysteroscopy"]
DESIGNS = ["rct", "meta-analysis", "systematic-review", "cohort", "case-control", "diagnostic-accuracy",
           "case-series", "narrative-review"]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def make_entry(i: int, rng: random.Random) -> str:
    n_auth = rng.randint(1, 8)
    authors = " and ".join(f"{rng.choice(FAMILY)}, {rng.choice(GIVEN)}" for _ in range(n_auth))
    year = rng.randint(1970, 2025)
    title = _sentence(rng, rng.randint(6, 16))[:-1]
    abstract = " ".join(
        f"{label}: " + " ".join(_sentence(rng, rng.randint(8, 20)) for _ in range(2))
        for label in ("BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS")
    )
    start = rng.randint(1, 2000)
    fields = [
        ("author", authors),
        ("title", title),
        ("journal", rng.choice(JOURNALS)),
        ("year", str(year)),
        ("volume", str(rng.randint(1, 400))),
        ("number", str(rng.randint(1, 12))),
        ("pages", f"{start}--{start + rng.randint(3, 15)}"),
        ("doi", f"10.{rng.randint(1000, 9999)}/synth.{i}"),
        ("pmid", str(10_000_000 + i)),
        ("abstract", abstract),
        ("topics", rng.choice(TOPICS)),
        ("design", rng.choice(DESIGNS)),
        ("unverified", "none"),
    ]
    body = ",\n".join(f"  {name:<12} = {{{value}}}" for name, value in fields)
    return f"@article{{synth{i},\n{body}\n}}\n"


def write_library(path: Path, n: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write("% synthetic reflib benchmark library\n\n")
        for i in range(n):
            out.write(make_entry(i, rng))
            out.write("\n")
    return path
