"""The feeds' choice of newest studies: the narrowed path for long lists gives what ranking every study gives."""

from __future__ import annotations

import heapq
import random

from library.publish.feeds import newest
from library.publish.study import Summary, added_date_of


def _summary(i: int, added: str, year: int | None) -> Summary:
    values: dict[str, object] = dict.fromkeys(Summary._fields, "")
    values.update(key=f"k{i:05d}", added=added, year=year, topics=(), links=(), search=(), old_slugs=())
    return Summary(**values)  # type: ignore[arg-type]


def _rank_all(items: list[Summary], limit: int) -> list[Summary]:
    return heapq.nlargest(limit, items, key=lambda s: (added_date_of(s.added, s.year), s.key))


def test_newest_equals_ranking_every_study() -> None:
    rng = random.Random(7)
    for _ in range(150):
        n = rng.choice([10, 300, 3000])
        dates = [f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(rng.randint(1, 40))]
        dates += ["", "not a date", "2024-02-30"]  # no date, unreadable, impossible: the year (or 1970) is used
        items = [_summary(i, rng.choice(dates), rng.choice([None, 1999, 2024])) for i in range(n)]
        rng.shuffle(items)
        limit = rng.choice([1, 5, 20, 50])
        assert newest(items, limit) == _rank_all(items, limit)


def test_newest_with_many_distinct_dates_and_ties() -> None:
    # every study on its own day (the narrowing does not pay and is skipped), then all on one day (ties by key)
    spread = [_summary(i, f"20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}", None) for i in range(2000)]
    assert newest(spread, 20) == _rank_all(spread, 20)
    same_day = [_summary(i, "2025-06-01", 2025) for i in range(2000)]
    chosen = newest(same_day, 20)
    assert [s.key for s in chosen] == sorted((s.key for s in same_day), reverse=True)[:20]
