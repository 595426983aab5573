"""Reading without a manual (issue 17) through AppTest and the CLI: search shared by both, the study page's
structure, topic links, hidden internal keywords, the import preview, `entry show --format html`, stats = check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from streamlit.testing.v1 import AppTest

from library import Library

from .conftest import ROOT
from .test_dashboard import RIS
from .test_dashboard import no_exception as _ok
from .test_dashboard import run_dashboard as _app

HSG_ENTRY = "hysterosalpingogram"


@pytest.fixture
def bib(references_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REFLIB_BIB", str(references_copy))
    monkeypatch.delenv("REFLIB_EDITOR", raising=False)
    return references_copy


@pytest.fixture
def editor(bib: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REFLIB_EDITOR", "1")
    return bib


def _cli(bib: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "library.cli", "--bib", str(bib), *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def _table_keys(at: AppTest) -> list[str]:
    return [str(k) for k in at.dataframe[0].value["key"]]


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_dashboard_and_cli_find_and_order_the_same_studies(bib: Path) -> None:
    at = _ok(_app(q="HSG"))
    cli = [r["key"] for r in json.loads(_cli(bib, "search", "-q", "HSG", "--json").stdout)]
    assert len(cli) > 19 and _table_keys(at) == cli  # same hits, same ranking
    assert any("hysterosalpingography" in c.value for c in at.caption)  # the widening is explained
    plain = _ok(_app(q="HSG", sort="newest"))
    assert sorted(_table_keys(plain)) == sorted(cli) and _table_keys(plain) != cli


def test_study_page_structure_for_readers(bib: Path) -> None:
    at = _ok(_app(study="dreyer2017oil"))
    assert [t.value for t in at.title] == ["Oil\\-Based or Water\\-Based Contrast for Hysterosalpingography in "
                                           "Infertile Women"]  # the one H1
    texts = "\n".join(m.value for m in at.markdown)
    assert "et al.*" in texts  # 32 authors: the first 20, then et al.
    assert any(e.label == "Show all 32 authors" for e in at.expander)
    assert "trial\\:H2Oil" not in texts and "outcome\\:" not in texts  # internal keywords hidden from readers
    labels = [b.label for b in at.button]
    assert "Research library" in labels and "Diagnostics" in labels  # breadcrumb
    assert "Hysterosalpingogram \\(HSG\\)" in labels  # the entry that discusses it, as a link
    badges = [m for m in at.markdown if "-badge[" in m.value]
    assert badges and all(b.proto.help for b in badges)  # every badge explains itself
    at.button(key="topic-0").click().run()  # a topic link filters the library
    assert "study" not in at.query_params and at.query_params["topic"].startswith("Diagnostics > Tubal patency")
    assert 0 < len(at.dataframe[0].value) < 36


def test_editor_sees_internal_keywords_and_can_jump_to_the_form(editor: Path) -> None:
    at = _ok(_app(study="dreyer2017oil"))
    texts = "\n".join(m.value for m in at.markdown)
    assert "trial\\:H2Oil" in texts
    assert "(#edit-this-study)" in texts
    assert any("Edit this study" in h.value for h in at.header)


def test_import_preview_shows_what_will_be_stored(editor: Path) -> None:
    at = _ok(_app(view="import"))
    at.file_uploader[0].set_value(("pubmed.ris", RIS, "application/x-research-info-systems")).run()
    _ok(at)
    new = next(d.value for d in at.dataframe if "title" in d.value.columns and "design" in d.value.columns)
    row = new[new["title"].str.startswith("A new randomized trial")].iloc[0]
    assert row["year"] == 2024 and row["authors"] == "Smith, John" and row["journal"] == "Human Reproduction"
    assert "doi:10.1093/humrep/new.2024" in row["identifiers"]
    assert "Contrast media" in row["topics"]  # classification as it will run on import
    assert row["design"] == "RCT"


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_entry_show_html_is_a_complete_valid_section(bib: Path) -> None:
    result = _cli(bib, "entry", "show", HSG_ENTRY, "--format", "html", "--library-url", "https://lib.example.org")
    assert result.returncode == 0, result.stderr
    section = etree.fromstring(result.stdout.encode())  # well-formed: a strict XML parser accepts it
    assert section.tag == "section"
    assert "".join(section.find("h2").itertext()) == "Hysterosalpingogram (HSG)"
    assert [h.text for h in section.findall("h3")] == ["Cited in this entry", "Discussed in — Research library",
                                                     "Not yet in the research library"]
    cited, discussed, pending = section.find("ol"), section.findall("ul")[0], section.findall("ul")[1]
    for item in [*cited, *discussed]:
        hrefs = [a.get("href") for a in item.iter("a")]
        assert f"https://lib.example.org/?study={item.get('data-key')}" in hrefs
        assert len([h for h in hrefs if "pubmed" in h]) <= 1  # no PMID text beside its own PubMed link
    assert "2017. Randomized controlled trial" in "".join(discussed[0].itertext())
    assert len(pending) >= 1


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_stats_counts_the_problems_check_reports(bib: Path) -> None:
    check = _cli(bib, "check", "--json")
    stats = _cli(bib, "stats", "--json")
    assert check.returncode == 1 and stats.returncode == 0
    assert json.loads(stats.stdout)["problems"] == len(json.loads(check.stdout)) > 0


def test_unknown_topic_and_entry_from_a_link_are_reported_not_silent(bib: Path) -> None:
    lib = Library.load(bib)
    assert len(lib) == 36
    at = _ok(_app(topic="Nowhere > Topic"))
    assert any("Ignored topic" in t.proto.body for t in at.toast)


def test_pubmed_affiliations_are_kept_and_shown(bib: Path) -> None:
    from ingest.readers import read_data

    from .conftest import FIXTURES

    result = read_data((FIXTURES / "pubmed" / "mathml.xml").read_bytes(), "mathml.xml")
    with_affiliations = [r for r in result.records if r.extra.get("affiliations")]
    assert with_affiliations
    lines = with_affiliations[0].extra["affiliations"].split("; ")
    assert "University of Oxford, Oxford, UK." in lines and len(lines) == len(set(lines))
    lib = Library.load(bib)
    record = lib.get("dreyer2017oil")
    record.extra["affiliations"] = "Amsterdam UMC, Amsterdam, The Netherlands.; UMC Utrecht, Utrecht, The Netherlands."
    lib.update(record)
    lib.save()
    assert Library.load(bib).get("dreyer2017oil").extra["affiliations"].split("; ")[1].startswith("UMC Utrecht")
    at = _ok(_app(study="dreyer2017oil"))
    assert any(e.label == "Affiliations (2)" for e in at.expander)
    assert any(m.value.startswith("2\\. UMC Utrecht") for m in at.markdown)


def test_warm_prepares_every_vocabulary_term() -> None:
    from library.evidence.taxonomy import taxonomy_for
    from library.frame import FrameQuery, filter_positions
    from library.search import Vocabulary, warm

    from .conftest import REFERENCES

    frame = Library.load(REFERENCES).frame()
    vocabulary = Vocabulary.from_taxonomy(taxonomy_for(REFERENCES))
    before = len(filter_positions(frame, FrameQuery(query="SIS", vocabulary=vocabulary)))
    assert warm(frame, vocabulary) >= 30  # one per topic
    assert len(filter_positions(frame, FrameQuery(query="saline infusion sonography", vocabulary=vocabulary))) == before
