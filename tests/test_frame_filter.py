"""library.frame.filter_positions against a plain reference (the earlier implementation: one substring scan per
word over the text, here folded row by row in Python: case-folded, decomposed, accents dropped) on generated
frames, including re-chunked frames and columns replaced in place."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from library import Author, Record
from library.frame import FrameQuery, build_frame, filter_counts, filter_positions, record_row, table_to_frame

TOPICS = ["Diagnostics", "Diagnostics > HSG", "Diagnostics > HSG > Contrast media", "Surgery > Tubal catheterization",
          "Infertility > Tubal factor", "diagnostics > lower case"]
WORDS = ["Oil", "oil-based", "CONTRAST", "water", "Müller", "ÉTUDE", "straße", "a.b", "(x)", "c++", "[1]", "$5",
         "tubal", "Σigma", "patency", "50%", "\\frac", "x|y", "a^b", "?"]


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        record = Record(key=f"r{i}")
        record.title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6)))
        record.abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 20)))
        record.authors = [Author(rng.choice(["Dreyer", "Ölander", "Smith"]), rng.choice(["K.", "Ann"]))
                          for _ in range(rng.randint(0, 3))]
        record.year = rng.choice([None, *range(1990, 2025)])
        record.topics = rng.sample(TOPICS, rng.randint(0, 2))
        record.design = rng.choice(["", "rct", "cohort", "RCT"])
        records.append(record)
    return build_frame([record_row(r) for r in records])


def _plain(text: str) -> str:
    """Case-folded, accents dropped: written apart from library.textfold (str.casefold, not its table)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _reference(frame: pd.DataFrame, query: FrameQuery) -> list[int]:
    """Row by row, in Python for the structured filters; Arrow's plain substring kernel for the text."""
    keep = []
    joined = pc.binary_join_element_wise(
        pa.array(frame["title"].tolist(), pa.string()), pa.array(frame["abstract"].tolist(), pa.string()),
        pc.binary_join(pa.array(frame["authors"].tolist(), pa.list_(pa.string())), " ; "), "\n",
        null_handling="replace", null_replacement="")
    text = pa.array([_plain(row) for row in joined.to_pylist()], pa.string())
    words = _plain(query.query).split()
    found = np.ones(len(frame), dtype=bool)
    for word in words:
        found &= pc.match_substring(text, word).to_numpy(zero_copy_only=False)

    def topic_ok(topics: Iterable[str]) -> bool:
        wanted = [w.casefold().strip() for w in query.topics]
        return any(t.casefold() == w or t.casefold().startswith(w + " >") for t in topics for w in wanted)

    for i, row in enumerate(frame.itertuples(index=False)):
        year = row.year
        if query.year_from is not None and (pd.isna(year) or year < query.year_from):
            continue
        if query.year_to is not None and (pd.isna(year) or year > query.year_to):
            continue
        if query.topics and not topic_ok(row.topics):
            continue
        if query.designs and (row.design or "").casefold() not in {d.casefold() for d in query.designs}:
            continue
        if words and not found[i]:
            continue
        keep.append(i)
    return keep


def _queries(seed: int) -> list[FrameQuery]:
    rng = random.Random(seed)
    out = [FrameQuery(query="oil contrast", topics=("Diagnostics",), year_from=2000, year_to=2015),
           FrameQuery(query="  "), FrameQuery(query="(x) c++ [1]"), FrameQuery(query="STRASSE straße")]
    for _ in range(60):
        words = rng.sample([*WORDS, "müller", "oil-", "no-such-word", "ó", "al", "ölander"], rng.randint(0, 3))
        out.append(FrameQuery(
            query=" ".join(w if rng.random() < 0.5 else w.upper() for w in words),
            topics=tuple(rng.sample([*TOPICS, "Diagnostics > HS"], rng.randint(0, 2))),
            designs=tuple(rng.sample(["rct", "cohort"], rng.randint(0, 1))),
            year_from=rng.choice([None, 1995, 2010]), year_to=rng.choice([None, 2000, 2020])))
    return out


@pytest.mark.slow  # ~3-7 s each: large random libraries against the reference filter
@pytest.mark.parametrize("seed", [1, 2])
def test_filter_matches_the_reference(seed: int) -> None:
    frame = _frame(400, seed)
    for query in _queries(seed):
        assert filter_positions(frame, query).tolist() == _reference(frame, query), query


def test_filter_on_a_rechunked_frame_and_after_a_column_is_replaced() -> None:
    frame = _frame(300, 5)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    chunked = table_to_frame(pa.concat_tables([table.slice(0, 100), table.slice(100, 7), table.slice(107)]))
    for query in _queries(5)[:25]:
        assert filter_positions(chunked, query).tolist() == _reference(frame, query)
    query = FrameQuery(query="oil", topics=("Surgery",))
    before = filter_positions(frame, query).tolist()  # derived text and topic codes are now kept for this frame
    frame["title"] = frame["title"].map(lambda t: "oil " + t if t else t)
    frame["topics"] = pd.Series([["Surgery"]] * len(frame), dtype=frame["topics"].dtype)
    after = filter_positions(frame, query).tolist()
    assert after == _reference(frame, query) and after != before


def test_counts_follow_the_filters_matching_rule() -> None:
    """What a count says is what the filter finds: the level filter also takes the last words of a level."""
    frame = pd.DataFrame({"level": ["OCEBM2011 therapy 2", "OCEBM2011 diagnosis 2", "OCEBM2011 therapy 1", ""],
                          "design": ["rct", "RCT", "cohort", ""]})
    wanted = ["OCEBM2011 therapy 2", "therapy 2", "2", "OCEBM2011 harm 3"]
    found = filter_counts(frame, "level", wanted)
    assert found == {value: len(filter_positions(frame, FrameQuery(levels=(value,)))) for value in wanted}
    assert found["2"] == 2 and found["OCEBM2011 harm 3"] == 0
    designs = filter_counts(frame, "design", ["rct", "cohort"])
    assert designs == {value: len(filter_positions(frame, FrameQuery(designs=(value,)))) for value in designs}
    for seed in range(3):
        generated = _frame(300, seed)
        values = ["rct", "RCT", "cohort", " Cohort ", "case-control"]
        counts = filter_counts(generated, "design", values)
        assert counts == {v: len(filter_positions(generated, FrameQuery(designs=(v,)))) for v in values}
        assert counts["rct"] == sum(d.casefold() == "rct" for d in generated["design"])
