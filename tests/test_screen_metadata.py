"""Metadata features of the screening ranking (authors, year, journal, keywords): parsed alike from a labelled CSV
(``screen simulate``) and from inbox / library records (the inbox ranking), off unless a block's weight is set."""

from __future__ import annotations

import numpy as np
import pytest

from library.model import Author, Record
from library.screen import model
from library.screen.inbox import Inbox
from library.screen.simulate import read_dataset


def test_author_names_in_the_forms_the_sets_and_the_library_use():
    assert model.author_names("P Nazzaro; G Bianchi Porro; H Yki-Järvinen") == [
        ("Nazzaro", "P"), ("Bianchi Porro", "G"), ("Yki-Järvinen", "H")]
    assert model.author_names("R. L. Whistler and W. C. Lake") == [("Whistler", "R"), ("Lake", "W")]
    assert model.author_names(["Smith, John", "Jane Doe", "others", ""]) == [("Smith", "J"), ("Doe", "J")]


def test_record_meta_tokens_are_readable(monkeypatch):
    monkeypatch.setattr(model, "YEAR_BUCKET", 5)
    tokens = model.record_meta("S H Hamilton; A Breier", "1999.0", " The  Lancet ", ["tubal patency", " "])
    assert tokens == ["author: Hamilton S", "author: Breier A", "year: 1995-1999", "journal: The Lancet",
                      "keyword: tubal patency"]
    assert model.record_meta("", "n.d.") == []  # no year, no error
    monkeypatch.setattr(model, "YEAR_BUCKET", 1)
    assert model.record_meta("", 2001) == ["year: 2001"]
    assert all(model.is_metadata_term(t) for t in tokens) and not model.is_metadata_term("author")


def test_metadata_blocks_are_off_at_weight_0_and_weighted_when_on(monkeypatch):
    for block in ("AUTHOR_WEIGHT", "YEAR_WEIGHT", "JOURNAL_WEIGHT", "KEYWORD_WEIGHT"):
        monkeypatch.setattr(model, block, 0.0)
    monkeypatch.setattr(model, "YEAR_BUCKET", 5)
    texts = ["oil contrast tubal patency", "coronary stent trial", "oil contrast pregnancy"]
    meta = [model.record_meta("J Müller; A Doe", 1999), model.record_meta("B Roe", 2004),
            model.record_meta("MULLER, Jan", 2001)]
    plain = model.fit_features(texts)
    off = model.fit_features(texts, meta)
    assert (off.matrix != plain.matrix).nnz == 0 and list(off.terms) == list(plain.terms) and off.words == -1
    monkeypatch.setattr(model, "AUTHOR_WEIGHT", 2.0)
    on = model.fit_features(texts, meta)
    names = list(on.terms[on.words:])
    assert on.words == len(plain.terms) and names == ["author: Müller J", "author: Doe A", "author: Roe B"]
    assert (on.matrix[:, :on.words] != plain.matrix).nnz == 0  # the words are unchanged
    block = on.matrix[:, on.words:].toarray()
    assert np.allclose(np.linalg.norm(block, axis=1), 2.0)  # each row's author block has the block's weight
    assert block[0, 0] > 0 and block[2, 0] > 0  # "J Müller" and "MULLER, Jan" are one author (case, accents)
    monkeypatch.setattr(model, "YEAR_WEIGHT", 0.5)
    assert "year: 2000-2004" in set(model.fit_features(texts, meta).terms)
    monkeypatch.setattr(model, "JOURNAL_WEIGHT", 1.0)
    monkeypatch.setattr(model, "KEYWORD_WEIGHT", 1.0)
    tagged = [m + model.record_meta(journal="Fertil Steril", keywords=["HSG", "Tubal"]) for m in meta[:2]] + [meta[2]]
    full = model.fit_features(texts, tagged)
    assert {"journal: Fertil Steril", "keyword: HSG", "keyword: Tubal"} <= set(full.terms[full.words:])
    rows = full.matrix[:, full.words:].toarray()
    assert np.isclose(np.linalg.norm(rows[0]), np.sqrt(2.0**2 + 0.5**2 + 1 + 1))  # four blocks, each its weight
    with pytest.raises(ValueError, match="one metadata list per text"):
        model.fit_features(texts, meta[:2])


def test_a_labelled_file_gives_the_same_tokens_as_the_inbox_record(tmp_path, monkeypatch):
    monkeypatch.setattr(model, "YEAR_BUCKET", 5)
    csv_file = tmp_path / "set.csv"
    csv_file.write_text("title,abstract,authors,year,journal,keywords,label_included\n"
                        "Oil contrast,tubal patency,J Smith; A B Doe,2001.0,Fertil & Steril {x},HSG; tubal flushing,1\n"
                        "Stent,coronary,C Roe,1990,Heart,,0\nHSG,oil,,,,,1\nDiet,salt,D Poe,,,,0\n")
    data = read_dataset(csv_file)
    assert data.meta is not None and data.meta[2] == [] and data.meta[3] == ["author: Poe D"]
    assert "tubal flushing" in data.texts[0]  # keywords are read as text too, as in the library's records
    rec = Record(key="", title="Oil contrast", abstract="tubal patency", year=2001, journal="Fertil & Steril {x}",
                 authors=[Author(family="Smith", given="John"), Author(family="Doe", given="A. B.")],
                 keywords=["HSG", "tubal flushing"])
    with Inbox.open(tmp_path / "x.inbox.sqlite") as inbox:
        inbox.add([rec], source="s")
        ((authors, year, journal, keywords),) = inbox.metadata()
    assert model.record_meta(authors, year, journal, keywords) == data.meta[0]


def test_the_inbox_ranking_learns_an_author_and_says_so(tmp_path, monkeypatch):
    from library.screen.rank import Ranker, library_positives, states_of

    monkeypatch.setattr(model, "UNSURE_EVERY", 0)
    for block in ("AUTHOR_WEIGHT", "YEAR_WEIGHT", "JOURNAL_WEIGHT", "KEYWORD_WEIGHT"):
        monkeypatch.setattr(model, block, 0.0)
    monkeypatch.setattr(model, "YEAR_BUCKET", 5)
    text = "randomised trial of a treatment outcome"
    recs = [Record(key="", title=f"Trial {n}", abstract=f"{text} {n}", pmid=str(500 + n), year=2000 + n % 3,
                   authors=[Author(family="Smith" if n % 4 == 0 else f"Other{n}", given="Jane")]) for n in range(24)]
    with Inbox.open(tmp_path / "x.inbox.sqlite") as inbox:
        ids = inbox.add(recs, source="s")
        inbox.decide(ids[0], "include", "ann")
        inbox.decide(ids[1], "exclude", "ann", "not about the topic")
        smith = set(ids[4::4])
        words_only = Ranker(inbox).rank(states_of(inbox), explain=1)
        assert set(words_only.ids[:len(smith)]) != smith  # same words: the text alone cannot find them
        monkeypatch.setattr(model, "AUTHOR_WEIGHT", 1.0)
        ranker = Ranker(inbox)
        ranked = ranker.rank(states_of(inbox), explain=1)
        assert set(ranked.ids[:len(smith)]) == smith
        assert "author: Smith J" in ranked.why(ranked.ids[0])
        assert not any(model.is_metadata_term(t) for t in ranker.inclusion_terms(ranked.model))
    frame = pd_frame()
    positives = library_positives(frame, ["hsg"], [])
    assert [p.meta for p in positives] == [["author: Smith J", "year: 2000-2004", "journal: Fertil Steril",
                                            "keyword: tubal flushing"]]
    assert "tubal flushing" in positives[0].text


def pd_frame():
    import pandas as pd

    return pd.DataFrame({"title": ["Oil HSG", "Stent"], "abstract": ["tubal", "heart"],
                         "keywords": [["tubal flushing"], []], "authors": [["Smith, Jane"], ["Roe, B"]],
                         "year": pd.array([2001, None], dtype="Int64"), "journal": ["Fertil Steril", ""],
                         "topics": [["hsg"], ["cardio"]], "entries": [[], []]})
