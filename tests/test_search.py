"""Search that knows the field (library.search): taxonomy names and synonyms, ranking, topic and entry names,
shared by the CLI and the dashboard."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from library import Library
from library.evidence.taxonomy import taxonomy_for
from library.frame import FrameQuery, build_frame, filter_positions, record_row
from library.model import Record
from library.search import UnknownFilterError, Vocabulary, parse_search, rank_positions, resolve_entry, resolve_topic

from .conftest import REFERENCES, ROOT

HSG = "Diagnostics > Tubal patency > HSG"
SIS = "Diagnostics > Tubal patency > SIS vs HSG"
VOCAB = Vocabulary.from_topics([
    ("Diagnostics", "Diagnostics", []),
    ("Diagnostics > Tubal patency", "Tubal patency", ["tubal patency test"]),
    (HSG, "HSG", ["hysterosalpingography", "hysterosalpingogram"]),
    (SIS, "SIS vs HSG", ["SIS", "saline infusion sonography"]),
])


def _frame(*records: Record):
    return build_frame([record_row(r) for r in records])


def _keys(frame, positions: np.ndarray) -> list[str]:
    return [str(k) for k in frame["key"].take(positions)]


def test_an_abbreviation_is_one_term_with_its_synonyms_and_topic() -> None:
    [term] = parse_search("HSG", VOCAB)
    assert term.topics == (HSG,)
    assert "hysterosalpingography" in term.alternatives()
    [phrase] = parse_search("Saline infusion  sonography", VOCAB)  # the longest name wins, case and spaces aside
    assert phrase.topics == (SIS,) and "sis" in phrase.alternatives()
    words = parse_search("oil HSG", VOCAB)
    assert [t.text for t in words] == ["oil", "HSG"] and words[0].topics == ()
    assert parse_search("HSG", None)[0].topics == ()  # no taxonomy: a plain word


def test_synonyms_topics_and_whole_words() -> None:
    frame = _frame(
        Record(key="a", title="Hysterosalpingography in infertile women", year=2010),
        Record(key="b", title="A trial", abstract="We did an HSG first.", year=2012),
        Record(key="c", title="Tagged only", topics=[HSG + " > Contrast media"], year=2015),
        Record(key="d", title="Meta-analysis of diagnosis", year=2020),  # 'sis' inside words
        Record(key="e", title="SIS before IVF", year=2019),
    )
    hsg = filter_positions(frame, FrameQuery(query="hsg", vocabulary=VOCAB))
    assert _keys(frame, hsg) == ["a", "b", "c"]
    assert _keys(frame, filter_positions(frame, FrameQuery(query="hsg"))) == ["b"]  # without the taxonomy
    sis = filter_positions(frame, FrameQuery(query="SIS", vocabulary=VOCAB))
    assert _keys(frame, sis) == ["e"]  # not 'analysis' or 'diagnosis'
    assert _keys(frame, filter_positions(frame, FrameQuery(query="saline infusion sonography",
                                                             vocabulary=VOCAB))) == ["e"]


def test_ranking_title_then_abstract_then_elsewhere_newest_first() -> None:
    frame = _frame(
        Record(key="tagged", title="Other", topics=[HSG], year=2024),
        Record(key="abstract-old", title="Trial", abstract="hysterosalpingography", year=2001),
        Record(key="title-old", title="HSG pain", year=1999),
        Record(key="abstract-new", title="Study", abstract="At HSG", year=2022),
        Record(key="title-new", title="Hysterosalpingogram and oil", year=2021),
    )
    terms = parse_search("HSG", VOCAB)
    found = filter_positions(frame, FrameQuery(query="HSG", vocabulary=VOCAB))
    assert _keys(frame, rank_positions(frame, found, terms)) == [
        "title-new", "title-old", "abstract-new", "abstract-old", "tagged"]


def test_topic_and_entry_names_resolve_or_fail_with_close_matches() -> None:
    taxonomy = taxonomy_for(REFERENCES)
    vocab = Vocabulary.from_taxonomy(taxonomy)
    assert resolve_topic("SIS vs HSG", taxonomy) == SIS
    assert resolve_topic("diagnostics > tubal patency > hsg", taxonomy) == HSG
    assert resolve_topic("hysterosalpingography", taxonomy, vocabulary=vocab) == HSG
    assert resolve_topic("Local > Thing", taxonomy, ["Local > Thing"]) == "Local > Thing"
    with pytest.raises(UnknownFilterError, match="did you mean 'Diagnostics > Tubal patency'"):
        resolve_topic("Tubal patensy", taxonomy)
    with pytest.raises(UnknownFilterError, match="ambiguous"):
        resolve_topic("Thing", None, ["A > Thing", "B > Thing"])
    titles = {"hysterosalpingogram": "Hysterosalpingogram (HSG)"}
    assert resolve_entry("Hysterosalpingogram (HSG)", titles) == "hysterosalpingogram"
    with pytest.raises(UnknownFilterError, match="'hysterosalpingogram'"):
        resolve_entry("hsg", titles)


def test_on_the_real_library_hsg_finds_the_topic_and_the_word() -> None:
    lib = Library.load(REFERENCES)
    frame = lib.frame()
    vocab = Vocabulary.from_taxonomy(taxonomy_for(REFERENCES))
    hsg = set(filter_positions(frame, FrameQuery(query="HSG", vocabulary=vocab)))
    tagged = set(filter_positions(frame, FrameQuery(topics=(HSG,))))
    word = set(filter_positions(frame, FrameQuery(query="hysterosalpingography")))
    assert tagged <= hsg and word <= hsg
    assert hsg == set(filter_positions(frame, FrameQuery(query="hysterosalpingography", vocabulary=vocab)))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "library.cli", "--bib", str(REFERENCES), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
def test_cli_topic_by_last_segment_and_unknown_names_exit_2() -> None:
    short = _cli("search", "--topic", "SIS vs HSG", "--json")
    full = _cli("search", "--topic", SIS, "--json")
    assert short.returncode == 0 and json.loads(short.stdout)
    assert json.loads(short.stdout) == json.loads(full.stdout)
    unknown = _cli("search", "--topic", "Tubal patensy")
    assert unknown.returncode == 2 and "did you mean 'Diagnostics > Tubal patency'" in unknown.stderr
    entry = _cli("search", "--entry", "hsg")
    assert entry.returncode == 2 and "hysterosalpingogram" in entry.stderr
    export = _cli("export", "--topic", "nothing-like-it", "--format", "bibtex")
    assert export.returncode == 2 and "unknown topic" in export.stderr


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
def test_cli_query_is_ranked_and_widened() -> None:
    records = json.loads(_cli("search", "-q", "HSG", "--json").stdout)
    plain = json.loads(_cli("search", "-q", "hysterosalpingography", "--json").stdout)
    assert len(records) >= len(plain) > 1
    titles = [r["title"].casefold() for r in records]
    in_title = ["hysterosalpingo" in t or "hsg" in t for t in titles]
    assert in_title[0] and in_title == sorted(in_title, reverse=True)  # every title hit before the others
