"""library.views: the dashboard's logic without Streamlit (query string, sorting, related studies, evidence map)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from library import Author, Library, Record
from library.frame import FrameQuery, build_frame, filter_frame, record_row
from library.views import (
    abstract_sections,
    design_label,
    escape_markdown,
    evidence_map,
    facet_values,
    filter_positions,
    identifier_links,
    journal_line,
    level_label,
    params_from_query,
    parse_params,
    related_studies,
    sort_frame,
    sort_positions,
    studies_per_year,
    study_label,
    study_relations,
    table_view,
    topic_options,
)


def _record(key: str, **fields: object) -> Record:
    record = Record(key=key)
    for name, value in fields.items():
        setattr(record, name, value)
    return record


@pytest.fixture
def frame() -> pd.DataFrame:
    records = [
        _record("a2017", title="Oil-based contrast for HSG: a randomized trial", year=2017, design="rct",
                level="OCEBM2011 therapy 2", topics=["Diagnostics > Tubal patency > HSG > Contrast media"],
                keywords=["trial:H2Oil"], authors=[Author("Dreyer", "Kim")]),
        _record("b2020", title="Oil-based contrast long-term follow-up", year=2020, design="rct",
                level="OCEBM2011 therapy 2", topics=["Diagnostics > Tubal patency > HSG > Contrast media"],
                keywords=["trial:H2Oil"], authors=[Author("van Rijswijk", "Joukje")]),
        _record("c2018", title="Oil versus water contrast: a meta-analysis", year=2018, design="meta-analysis",
                level="OCEBM2011 therapy 1", topics=["Diagnostics > Tubal patency > HSG > Contrast media"],
                authors=[Author("Fang", "Fang")]),
        _record("d1990", title="Radiation dose during hysterosalpingography", year=1990, design="cohort",
                topics=["Diagnostics > Tubal patency > HSG > Radiation"], authors=[Author("Fife", "I. A.")]),
        _record("e2001", title="Transcervical catheterization of the fallopian tube", year=2001,
                design="case-series", topics=["Surgery > Tubal catheterization"], stance="critical",
                authors=[Author("Thurmond", "Amy")]),
        _record("f0000", title="Undated note", topics=[], authors=[]),
    ]
    return build_frame([record_row(r) for r in records])


# --- query string <-> filter ----------------------------------------------------------------------------------
def test_params_round_trip_through_the_filter() -> None:
    query = FrameQuery(query="oil contrast", topics=("Diagnostics > Tubal patency",), entries=("hsg",),
                       designs=("rct", "meta-analysis"), levels=("OCEBM2011 therapy 1",), stances=("critical",),
                       verification=("verified", ""), year_from=2010, year_to=2020)
    params = params_from_query(query, "strongest")
    assert params["design"] == ["rct", "meta-analysis"]
    assert params["verification"] == ["verified", "unknown"]
    assert params["from"] == "2010" and params["sort"] == "strongest"
    parsed = parse_params(params)
    assert parsed.query == query
    assert parsed.sort == "strongest"
    assert parsed.problems == ()


def test_default_filter_gives_an_empty_query_string() -> None:
    assert params_from_query(FrameQuery()) == {}
    assert parse_params({}).query == FrameQuery()


def test_bad_link_values_are_reported_not_fatal() -> None:
    parsed = parse_params({"from": "twenty", "to": ["1990", "1980"], "stance": "angry", "sort": "random",
                           "verification": "maybe"})
    assert parsed.query.year_from is None and parsed.query.year_to == 1980
    assert parsed.query.stances == () and parsed.sort == "relevance"
    assert len(parsed.problems) == 4


def test_reversed_year_range_is_swapped() -> None:
    parsed = parse_params({"from": "2020", "to": "2010"})
    assert (parsed.query.year_from, parsed.query.year_to) == (2010, 2020)
    assert parsed.problems


@pytest.mark.parametrize("query", [
    FrameQuery(),
    FrameQuery(designs=("RCT",)),
    FrameQuery(designs=("rct", "cohort"), year_from=1995),
    FrameQuery(levels=("OCEBM2011 therapy 2",), query="oil"),
    FrameQuery(stances=("critical",), topics=("Surgery",)),
    FrameQuery(verification=("",)),
    FrameQuery(designs=("rct",), query="follow-up contrast"),
])
def test_filter_positions_means_what_the_store_filter_means(frame: pd.DataFrame, query: FrameQuery) -> None:
    expected = filter_frame(frame, query)["key"].tolist()
    assert frame["key"].take(filter_positions(frame, query)).tolist() == expected


def test_sort_positions_sorts_only_the_given_rows(frame: pd.DataFrame) -> None:
    rows = np.array([0, 2, 3])
    assert frame["key"].take(sort_positions(frame, rows, "newest")).tolist() == ["c2018", "a2017", "d1990"]
    assert frame["key"].take(sort_positions(frame, rows, "strongest")).tolist() == ["c2018", "a2017", "d1990"]
    assert list(sort_positions(frame, np.array([], dtype=np.int64), "title")) == []


# --- facets and table ---------------------------------------------------------------------------------------
def test_topic_options_include_every_ancestor(frame: pd.DataFrame) -> None:
    options = topic_options(frame, known=["Infertility > Tubal factor"])
    assert "Diagnostics" in options and "Diagnostics > Tubal patency > HSG" in options
    assert "Infertility" in options and "Infertility > Tubal factor" in options
    assert options.index("Diagnostics") < options.index("Diagnostics > Tubal patency")
    # every option finds at least the studies below it (the filter is hierarchical)
    assert len(filter_frame(frame, FrameQuery(topics=("Diagnostics",)))) == 4


def test_facet_values_put_vocabulary_first_then_unknown_values(frame: pd.DataFrame) -> None:
    values = facet_values(frame, "design", known=["meta-analysis", "rct"])
    assert values[:2] == ["meta-analysis", "rct"]
    assert set(values[2:]) == {"case-series", "cohort"}


def test_sort_strongest_puts_level_then_design_first(frame: pd.DataFrame) -> None:
    order = sort_frame(frame, "strongest")["key"].tolist()
    assert order[0] == "c2018"  # level 1
    assert order[1:3] == ["b2020", "a2017"]  # level 2, newest first
    assert order.index("d1990") < order.index("e2001")  # ungraded: cohort before case series


def test_sort_by_year_keeps_undated_last(frame: pd.DataFrame) -> None:
    assert sort_frame(frame, "newest")["key"].tolist()[:2] == ["b2020", "c2018"]
    assert sort_frame(frame, "newest")["key"].tolist()[-1] == "f0000"
    assert sort_frame(frame, "oldest")["key"].tolist()[0] == "d1990"
    assert sort_frame(frame, "author")["key"].tolist()[0] == "a2017"  # Dreyer
    assert sort_frame(frame, "author")["key"].tolist()[-1] == "f0000"  # no author sorts last
    assert sort_frame(frame, "title")["key"].tolist()[0] == "c2018"


def test_table_view_spells_out_codes(frame: pd.DataFrame) -> None:
    table = table_view(frame, np.arange(3))
    assert len(table) == 3
    assert table.loc[0, "Design"] == "RCT"
    assert table.loc[0, "Level"] == "Level 2 · therapy"
    assert table.loc[0, "Topics"] == "HSG > Contrast media"  # the last two segments; the study page has the path


def test_labels() -> None:
    assert design_label("rct") == "Randomized controlled trial"
    assert design_label("") == "Not classified"
    assert design_label("mendelian-randomization") == "Mendelian randomization"
    assert level_label("OCEBM2011 therapy 2") == "Level 2 (therapy, OCEBM 2011)"
    assert level_label("") == "Not graded"
    assert study_label({"first_author": "Dreyer", "year": 2017, "title": "Oil"}) == "Dreyer 2017 · Oil"
    assert study_label({"first_author": "", "year": None, "title": "x" * 200}).endswith("…")


# --- study page -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "**bold** _it_ `code` $x^2$ :red[alarm] :material/home:",
    "# heading\n- list",
])
def test_escape_markdown_leaves_no_active_markup(text: str) -> None:
    escaped = escape_markdown(text)
    for special in "<>[]()*_`$:#":
        assert special not in escaped.replace("\\" + special, "")
    assert "\n" not in escaped


def test_journal_line() -> None:
    record = _record("x", journal="New England Journal of Medicine", year=2017, volume="376", issue="21",
                     pages="2043--2052")
    assert journal_line(record) == "New England Journal of Medicine. 2017;376(21):2043–2052."
    assert journal_line(_record("y", journal="Cochrane Database Syst Rev.", year=2020, issue="10",
                                pages="CD003718")) == "Cochrane Database Syst Rev. 2020;(10):CD003718."
    assert journal_line(_record("z")) == ""


def test_identifier_links_only_for_valid_identifiers() -> None:
    record = _record("x", doi="https://doi.org/10.1056/NEJMoa1612337", pmid="28520519", pmcid="PMC123456",
                     url="javascript:alert(1)")
    links = {link.label: link.url for link in identifier_links(record)}
    assert links == {"DOI": "https://doi.org/10.1056/NEJMoa1612337",
                     "PubMed": "https://pubmed.ncbi.nlm.nih.gov/28520519/",
                     "PMC": "https://pmc.ncbi.nlm.nih.gov/articles/PMC123456/"}
    bad = _record("y", doi="not a doi", pmid="12ab", url="https://example.org/a page)(")
    assert [(link.label, link.url) for link in identifier_links(bad)] == [
        ("Web", "https://example.org/a%20page%29%28")]


def test_abstract_sections_structured_and_flattened() -> None:
    text = ("Background: Tubal flushing may improve fertility.\n\nMETHODS: Randomized trial. RESULTS: Ongoing "
            "pregnancy 39.7% vs 29.1%. CONCLUSIONS: Oil is better.")
    assert abstract_sections(text) == [
        ("Background", "Tubal flushing may improve fertility."),
        ("METHODS", "Randomized trial."),
        ("RESULTS", "Ongoing pregnancy 39.7% vs 29.1%."),
        ("CONCLUSIONS", "Oil is better."),
    ]
    assert abstract_sections("Plain text with HSG: a colon inside.") == [
        ("", "Plain text with HSG: a colon inside.")]
    assert abstract_sections("") == []


def test_related_studies_prefer_same_trial_then_topics(frame: pd.DataFrame) -> None:
    related = related_studies(frame, "a2017", limit=3)
    keys = related["key"].tolist()
    assert keys[0] == "b2020"
    assert "same trial (H2Oil)" in related.iloc[0]["reason"]
    assert "c2018" in keys and "a2017" not in keys
    assert "e2001" not in keys  # nothing in common
    assert related_studies(frame, "missing").empty


def test_related_studies_by_similar_title_alone() -> None:
    frame = build_frame([record_row(r) for r in [
        _record("x", title="Radiation exposure during hysterosalpingography"),
        _record("y", title="Radiation exposure during hysterosalpingography in infertile women"),
        _record("z", title="Something else entirely"),
    ]])
    related = related_studies(frame, "x")
    assert related["key"].tolist() == ["y"]
    assert related.iloc[0]["reason"] == "similar title"


def test_evidence_map_counts_each_study_once_per_topic(frame: pd.DataFrame) -> None:
    table = evidence_map(frame, depth=3)
    assert table.loc["Diagnostics > Tubal patency > HSG", "rct"] == 2
    assert table.loc["Diagnostics > Tubal patency > HSG", "meta-analysis"] == 1
    assert table.loc["Surgery > Tubal catheterization", "case-series"] == 1
    assert list(table.columns)[:2] == ["meta-analysis", "rct"]  # strongest design first
    assert table.to_numpy().sum() == 5  # the study without topics is not on the map


def test_studies_per_year_by_top_level_topic(frame: pd.DataFrame) -> None:
    counts = studies_per_year(frame, depth=1)
    assert set(counts.columns) == {"year", "topic", "studies"}
    assert counts[(counts.year == 2017) & (counts.topic == "Diagnostics")]["studies"].item() == 1
    assert counts["studies"].sum() == 5


def test_views_on_the_bundled_library(references_copy) -> None:
    frame = Library.load(references_copy).frame()
    assert len(evidence_map(frame)) > 3
    assert not related_studies(frame, frame["key"].iloc[0]).empty
    assert len(sort_frame(frame, "strongest")) == len(frame)


def test_study_relations_in_both_directions() -> None:
    from library.model import Relation

    paper = _record("paper2017", title="Oil-based contrast: a trial", relations=[Relation("reply-to", "gone2016")])
    erratum = _record("err2017", title="Erratum: <b>Oil</b>", relations=[Relation("erratum-of", "paper2017")])
    reply = _record("reply2018", title="Reply", relations=[Relation("reply-to", "paper2017"),
                                                           Relation("comment-on", "err2017")])
    frame = build_frame([record_row(r) for r in (paper, erratum, reply)])
    rows = study_relations(frame, paper)
    assert [r.text() for r in rows] == ["reply to: gone2016 (not in the library)",
                                        "has erratum: Erratum: <b>Oil</b>", "has reply: Reply"]
    assert [(r.key, r.in_library, r.outgoing) for r in rows] == [
        ("gone2016", False, True), ("err2017", True, False), ("reply2018", True, False)]
    assert [r.text() for r in study_relations(frame, erratum)] == [
        "erratum of: Oil-based contrast: a trial", "has comment: Reply"]
    assert study_relations(frame, _record("f0000")) == []
