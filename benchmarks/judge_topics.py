"""The judging list of benchmarks/topic_judging.md: every automatic topic of one part that has no verdict yet.

``python -m benchmarks.judge_topics report > list.txt`` prints, shuffled across categories, each tag with what the
judge may see (title, journal, MeSH, publication types, abstract, the topic and its description) and nothing of
the rules' evidence or confidence. Verdicts go to benchmarks/judgments/random_topics.csv by hand.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from benchmarks.bench_topics_random import load_judgments
from benchmarks.realdata import part_of, pubmed_random
from library.evidence.classify import match_topics
from library.evidence.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    part = argv[0] if argv else "tune"
    data = pubmed_random()
    if data is None:
        print("data absent", file=sys.stderr)
        return 1
    taxonomy = load_taxonomy(ROOT / "taxonomy.toml")
    judged = load_judgments()
    todo = []
    for rows in data.values():
        for record in rows:
            if record.pmid and part_of(record.pmid) == part:
                todo.extend((record, path) for path in match_topics(record, taxonomy)
                            if (record.pmid, path) not in judged)
    random.Random(15).shuffle(todo)
    for record, path in todo:
        topic = taxonomy.get(path)
        print(f"=== {record.pmid} | {path}\n  topic: {topic.description if topic else ''}\n"
              f"  title: {record.title}\n  journal: {record.journal} ({record.year})\n"
              f"  pubtypes: {'; '.join(record.pubtypes)}\n  mesh: {'; '.join(record.mesh)}\n"
              f"  abstract: {' '.join(record.abstract.split())[:900]}\n")
    print(f"{len(todo)} tag(s) to judge", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
