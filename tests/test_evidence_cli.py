"""The evidence commands as a user runs them: tag/untag, classify, set, link/unlink, entry list/show, topics, and
the search filters over topics, entries, designs and levels."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from library import Library
from library.cli import main
from library.model import EntryLink

from .conftest import REFERENCES, ROOT

HSG = "hysterosalpingogram"


@pytest.fixture(autouse=True)
def _bundled_files(monkeypatch):
    monkeypatch.delenv("REFLIB_TAXONOMY", raising=False)
    monkeypatch.delenv("REFLIB_ENCYCLOPEDIA", raising=False)


@pytest.fixture
def bib(tmp_path):
    path = tmp_path / "references.bib"
    shutil.copyfile(REFERENCES, path)
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


# --- tag / untag --------------------------------------------------------------------------------------------
def test_tag_and_untag_manual_topics(bib, capsys):
    code, out, _ = run(capsys, "--bib", bib, "tag", "fang2018oil", "tubal-flushing", "Endometriosis")
    assert code == 0
    assert out == ("fang2018oil: manual topics: Diagnostics > Tubal patency > HSG > Contrast media; "
                   "Infertility > Tubal factor > Tubal flushing; Endometriosis\n")
    assert Library.load(bib).get("fang2018oil").topics[-1] == "Endometriosis"
    code, out, _ = run(capsys, "--bib", bib, "untag", "fang2018oil", "endometriosis")
    assert code == 0 and "Endometriosis" not in out
    assert "Endometriosis" not in Library.load(bib).get("fang2018oil").topics


def test_tag_unknown_topic_suggests_and_changes_nothing(bib, capsys):
    before = bib.read_bytes()
    code, _, err = run(capsys, "--bib", bib, "tag", "fang2018oil", "Contrast medium")
    assert code == 1
    assert err == ("reflib: unknown topic 'Contrast medium' in "
                   f"{ROOT / 'taxonomy.toml'}; did you mean 'Diagnostics > Tubal patency > HSG > Contrast media'?\n")
    assert bib.read_bytes() == before


def test_untag_an_automatic_topic_points_at_the_rules(bib, capsys):
    code, _, err = run(capsys, "--bib", bib, "untag", "wang2020cochrane", "tubal-flushing")
    assert code == 0  # it is also a manual topic there
    code, _, err = run(capsys, "--bib", bib, "untag", "vanrijswijk2020tubal", "tubal-flushing")
    assert code == 1 and "is an automatic topic of 'vanrijswijk2020tubal'" in err


# --- classify ------------------------------------------------------------------------------------------------
def test_bundled_references_are_classified_with_the_current_rules(bib, capsys):
    """After changing taxonomy.toml or the design rules, run `reflib classify` on references.bib."""
    code, out, err = run(capsys, "--bib", bib, "classify", "--dry-run")
    assert code == 0 and out == "" and err == "classified 36 record(s); would change 0\n"


def test_classify_fills_automatic_fields_and_keeps_manual_ones(bib, capsys):
    lib = Library.load(bib)
    record = lib.get("karande1997radiation")
    record.topics_auto, record.design_auto, record.level_auto = [], "", ""
    record.design = "cross-sectional"
    lib.update(record)
    lib.save()
    before = bib.read_bytes()
    code, out, _ = run(capsys, "--bib", bib, "classify", "karande1997radiation", "--dry-run")
    assert code == 0 and bib.read_bytes() == before
    assert out == ("karande1997radiation: topics_auto: - -> Diagnostics > Tubal patency > HSG > Radiation exposure; "
                   "level_auto: - -> OCEBM2011 harm 4\n")
    code, out, _ = run(capsys, "--bib", bib, "classify", "--json")
    results = {r["key"]: r for r in json.loads(out)}
    assert [k for k, r in results.items() if r["changed"]] == ["karande1997radiation"]
    assert results["fang2018oil"]["design_reason"] == "publication type 'Meta-Analysis'"
    stored = Library.load(bib).get("karande1997radiation")
    assert stored.design == "cross-sectional" and stored.level_auto == "OCEBM2011 harm 4"
    assert stored.topics == ["Diagnostics > Tubal patency > HSG > Radiation exposure", "Surgery > Tubal catheterization"]


def test_classify_with_a_broken_taxonomy_names_the_line(bib, tmp_path, capsys):
    (tmp_path / "taxonomy.toml").write_text('[[topic]]\nid = "a"\nname = "A"\nparent = "b"\n')
    before = bib.read_bytes()
    code, _, err = run(capsys, "--bib", bib, "classify")
    assert code == 1 and err == f"reflib: {tmp_path / 'taxonomy.toml'}:4: topic 'a' has unknown parent 'b'\n"
    assert bib.read_bytes() == before


# --- set -----------------------------------------------------------------------------------------------------
def test_set_editor_fields_with_validation(bib, capsys):
    assert run(capsys, "--bib", bib, "set", "dreyer2017oil", "stance", "Supportive")[0] == 0
    assert run(capsys, "--bib", bib, "set", "dreyer2017oil", "relevance", "5")[0] == 0
    code, _, err = run(capsys, "--bib", bib, "set", "dreyer2017oil", "level", "therapy 1")
    assert code == 1 and ("Level 1 (therapy, OCEBM 2011) is above what a rct study allows for a therapy question "
                          "(level 2); lower it or state why (level_reason)") in err
    assert Library.load(bib).get("dreyer2017oil").level == ""  # refused: nothing written
    assert run(capsys, "--bib", bib, "set", "dreyer2017oil", "level_reason", "large multicentre RCT, "
               "dramatic effect (OCEBM grading up)")[0] == 0
    assert run(capsys, "--bib", bib, "set", "dreyer2017oil", "level", "therapy 1")[0] == 0
    assert run(capsys, "--bib", bib, "set", "dreyer2017oil", "grade", "live birth: Moderate; pain: low")[0] == 0
    assert run(capsys, "--bib", bib, "set", "dreyer2017oil", "tldr", "Oil-based contrast: more pregnancies.")[0] == 0
    record = Library.load(bib).get("dreyer2017oil")
    assert (record.stance, record.relevance, record.level) == ("supportive", 5, "OCEBM2011 therapy 1")
    assert record.grade == "live birth: moderate; pain: low"
    assert record.synopsis.tldr == "Oil-based contrast: more pregnancies."
    assert record.level_auto == "OCEBM2011 therapy 2"  # the automatic value stays beside the editor's
    code, _, err = run(capsys, "--bib", bib, "set", "dreyer2017oil", "relevance", "6")
    assert code == 1 and "relevance must be 1 (not relevant) .. 5 (core), not '6'" in err
    before = bib.read_bytes()
    code, _, err = run(capsys, "--bib", bib, "set", "dreyer2017oil", "relevance", "²")  # isdigit, but not int()
    assert code == 1 and err == "reflib: relevance must be 1 (not relevant) .. 5 (core), not '²'\n"
    assert bib.read_bytes() == before
    code, _, err = run(capsys, "--bib", bib, "set", "dreyer2017oil", "grade", "live birth: good")
    assert code == 1 and "certainty one of high, moderate, low, very low" in err
    assert run(capsys, "--bib", bib, "set", "dreyer2017oil", "stance", "")[0] == 0
    assert Library.load(bib).get("dreyer2017oil").stance == ""
    with pytest.raises(SystemExit) as info:
        main(["--bib", str(bib), "set", "dreyer2017oil", "colour", "red"])
    assert info.value.code == 2


def test_set_design_or_clearing_level_reason_warns_of_the_level_it_leaves_inconsistent(bib, capsys):
    """`set level` refuses a level above what the design allows; `set design` (or clearing `level_reason`) that
    makes the stored level such a level was silent (exit 0), and only `check` found it. A warning now names the
    level; the edit is still made (warnings never block)."""
    assert run(capsys, "--bib", bib, "set", "fang2018oil", "level", "therapy 1") == (0, "fang2018oil: level set\n", "")
    code, out, err = run(capsys, "--bib", bib, "set", "fang2018oil", "design", "case-series")
    assert (code, out) == (0, "fang2018oil: design set\n")
    assert err == ("warning: fang2018oil: Level 1 (therapy, OCEBM 2011) is above what a case-series study "
                   "allows for a therapy question (level 4); lower it or state why (level_reason)\n")
    assert Library.load(bib).get("fang2018oil").design == "case-series"
    assert run(capsys, "--bib", bib, "set", "fang2018oil", "notes", "x")[2] == ""  # still inconsistent: said once
    assert run(capsys, "--bib", bib, "set", "fang2018oil", "design", "meta-analysis")[2] == ""  # consistent again
    assert run(capsys, "--bib", bib, "set", "dreyer2017oil", "level_reason", "dramatic effect")[0] == 0
    assert run(capsys, "--bib", bib, "set", "dreyer2017oil", "level", "therapy 1")[2] == ""
    code, out, err = run(capsys, "--bib", bib, "set", "dreyer2017oil", "level_reason", "")
    assert (code, out) == (0, "dreyer2017oil: level_reason cleared\n")
    assert err == ("warning: dreyer2017oil: Level 1 (therapy, OCEBM 2011) is above what a rct study allows "
                   "for a therapy question (level 2); lower it or state why (level_reason)\n")


# --- link / unlink / entries ---------------------------------------------------------------------------------
def test_link_unlink_and_entry_list(bib, capsys):
    code, out, _ = run(capsys, "--bib", bib, "link", "fang2018oil", HSG, "--as", "cited")
    assert (code, out) == (0, "fang2018oil: cited in hysterosalpingogram as #2\n")
    code, _, err = run(capsys, "--bib", bib, "link", "tsui2023metaanalysis", HSG, "--as", "cited", "--number", "2")
    assert code == 1 and "citation #2 of 'hysterosalpingogram' is already 'fang2018oil'" in err
    code, _, err = run(capsys, "--bib", bib, "link", "nokey", HSG, "--as", "discussed")
    assert code == 1 and "no record with key 'nokey'" in err
    code, _, err = run(capsys, "--bib", bib, "link", "fang2018oil", "hsg", "--as", "discussed")
    assert code == 1 and "unknown encyclopedia entry 'hsg'" in err
    code, out, _ = run(capsys, "--bib", bib, "entry", "list", "--json")
    counts = {e["slug"]: (e["cited"], e["discussed"]) for e in json.loads(out)}
    assert counts[HSG] == (2, 3) and counts["hysteroscopy"] == (0, 0)
    code, out, _ = run(capsys, "--bib", bib, "unlink", "acog2020co800", HSG)
    assert (code, out) == (0, "acog2020co800: no longer cited in hysterosalpingogram (was #1)\n")
    code, out, _ = run(capsys, "--bib", bib, "entry", "show", HSG, "--format", "json")
    assert [(c["number"], c["key"]) for c in json.loads(out)["cited"]] == [(2, "fang2018oil")]
    code, out, _ = run(capsys, "--bib", bib, "entry", "list")
    assert out.splitlines()[1].split()[:4] == [HSG, "published", "1", "3"]


def test_entry_show_formats_and_styles(capsys):
    code, out, _ = run(capsys, "--bib", REFERENCES, "entry", "show", HSG)
    assert code == 0 and "### Cited in this entry" in out and "### Discussed in — Research library" in out
    assert "1. American College of Obstetricians and Gynecologists' Committee on Gynecologic Practice. " in out
    code, out, _ = run(capsys, "--bib", REFERENCES, "entry", "show", HSG, "--format", "html", "--style", "apa")
    assert out.startswith('<section class="reflib-references" data-entry="hysterosalpingogram">')
    assert "(2020)" in out  # APA puts the year in parentheses
    code, _, err = run(capsys, "--bib", REFERENCES, "entry", "show", "nope")
    assert code == 1 and "unknown encyclopedia entry 'nope'" in err


def test_entry_show_links_from_the_environment_at_each_run(capsys, monkeypatch):
    """The dashboard's address comes from $REFLIB_LIBRARY_URL when the command runs (the parser is built once)."""
    monkeypatch.setenv("REFLIB_LIBRARY_URL", "https://lib.example/")
    code, out, _ = run(capsys, "--bib", REFERENCES, "entry", "show", HSG, "--format", "html")
    assert code == 0 and 'href="https://lib.example/?study=dreyer2017oil"' in out
    code, out, _ = run(capsys, "--bib", REFERENCES, "entry", "show", HSG, "--format", "html", "--library-url",
                       "https://other.example")
    assert "https://other.example/?study=dreyer2017oil" in out and "lib.example" not in out
    monkeypatch.delenv("REFLIB_LIBRARY_URL")
    code, out, _ = run(capsys, "--bib", REFERENCES, "entry", "show", HSG, "--format", "html")
    assert code == 0 and "?study=" not in out


def test_topics_tree_counts_studies_under_each_topic(capsys):
    code, out, _ = run(capsys, "--bib", REFERENCES, "topics", "--json")
    tree = {n["name"]: n for n in json.loads(out)}
    assert tree["Diagnostics"]["studies"] == 30 and tree["PCOS"]["studies"] == 0
    patency = tree["Diagnostics"]["children"][0]
    assert patency["name"] == "Tubal patency" and patency["studies"] == 28
    code, out, _ = run(capsys, "--bib", REFERENCES, "topics")
    assert code == 0 and "    SIS vs HSG  (10)" in out.splitlines()


# --- the frame's evidence columns through `search` ----------------------------------------------------------
def keys(capsys, *filters: str) -> set[str]:
    code, out, _ = run(capsys, "--bib", REFERENCES, "search", "--json", *filters)
    assert code == 0
    return {r["key"] for r in json.loads(out)}


def test_search_by_topic_matches_children(capsys):
    hsg = keys(capsys, "--topic", "Diagnostics > Tubal patency > HSG")
    assert len(hsg) == 19 and {"dreyer2017oil", "fife1994entrance", "swart1995accuracy"} <= hsg
    assert hsg < keys(capsys, "--topic", "Diagnostics")
    assert keys(capsys, "--topic", "diagnostics > tubal patency > hsg > radiation exposure") == {
        "perisinakis2003radiogenic", "fife1994entrance", "plecas2010radiation", "kramer2006equivalent",
        "karande1997radiation"}
    with pytest.raises(SystemExit) as stop:  # a prefix of a name is not a parent: an unknown topic, exit 2
        keys(capsys, "--topic", "Diagnostics > Tubal")
    assert stop.value.code == 2 and "did you mean 'Diagnostics > Tubal patency'" in capsys.readouterr().err


def test_search_by_entry_design_and_level(capsys):
    assert keys(capsys, "--entry", HSG) == {"acog2020co800", "dreyer2017oil", "karande1997radiation",
                                            "beverley2019salineair"}
    assert keys(capsys, "--design", "rct") == {"dreyer2017oil", "vanrijswijk2020tubal", "johnson2004flush",
                                               "vanwelie2022foam", "dreyer2014hyfosy"}
    assert keys(capsys, "--level", "OCEBM2011 therapy 1") == {"fang2018oil", "wang2019effectiveness",
                                                              "wang2020cochrane", "tsui2023metaanalysis",
                                                              "desilva2017catheterization"}
    both = keys(capsys, "--design", "meta-analysis", "--topic", "Surgery")
    assert both == {"desilva2017catheterization"}
    code, out, _ = run(capsys, "--bib", REFERENCES, "search", "--json", "--entry", HSG, "--design", "guideline")
    assert code == 0
    record = json.loads(out)[0]
    assert record["key"] == "acog2020co800" and record["entries"] == [HSG] and record["level"] == ""
    # a design by its label, any case; a design or level nothing can match is a usage error, never "0 records"
    assert keys(capsys, "--design", "Randomized Controlled Trial") == keys(capsys, "--design", "rct")
    for option, value, needle in (("--design", "randomized", "did you mean"), ("--level", "foo", "last words"),
                                  ("--level", "therapy 7", "last words")):
        with pytest.raises(SystemExit) as stop:
            keys(capsys, option, value)
        assert stop.value.code == 2 and needle in capsys.readouterr().err


@pytest.mark.slow  # ~3-4 s: real reflib processes
def test_errors_are_one_line_with_exit_1_from_a_real_process(bib):
    result = subprocess.run([sys.executable, "-m", "library.cli", "--bib", str(bib), "link", "dreyer2017oil",
                             "nope", "--as", "cited"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("reflib: unknown encyclopedia entry 'nope'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_accepting_a_topic_nothing_suggested_says_so(bib, capsys):
    """``accept`` is for suggestions (and automatic topics, which it makes manual); a topic classification never
    offered is added as ``tag`` would, with a note instead of silently."""
    code, out, err = run(capsys, "--bib", bib, "accept", "dreyer2017oil", "Bone Health")
    assert code == 0 and "Bone Health" in out
    assert "was not suggested for dreyer2017oil" in err
    record = Library.load(bib).get("dreyer2017oil")
    auto = record.topics_auto[0]
    code, _, err = run(capsys, "--bib", bib, "accept", "dreyer2017oil", auto)
    assert code == 0 and "not suggested" not in err  # an automatic topic made manual: no note


def test_rejecting_a_mistyped_topic_is_refused_not_stored(bib, capsys):
    """``reject`` resolves the topic as ``tag`` and ``accept`` do; a typo was stored as a rejection that matches
    nothing (exit 0, the automatic topic left in place). A topic the record itself carries can still be rejected
    by its path when the taxonomy no longer has it."""
    before = bib.read_bytes()
    code, out, err = run(capsys, "--bib", bib, "reject", "fang2018oil", "Contrast medium")
    assert (code, out) == (1, "")
    assert err == ("reflib: unknown topic 'Contrast medium' in "
                   f"{ROOT / 'taxonomy.toml'}; did you mean 'Diagnostics > Tubal patency > HSG > Contrast media'?\n")
    assert bib.read_bytes() == before
    lib = Library.load(bib)
    record = lib.get("fang2018oil")
    record.topics_auto = [*record.topics_auto, "Diagnostics > Retired topic"]
    lib.update(record)
    lib.save()
    code, out, _ = run(capsys, "--bib", bib, "reject", "fang2018oil", "Diagnostics > Retired topic")
    assert code == 0 and out == "fang2018oil: rejected topics: Diagnostics > Retired topic\n"
    assert "Diagnostics > Retired topic" not in Library.load(bib).get("fang2018oil").topics_auto


def test_relinking_a_study_cited_under_two_numbers_is_refused_not_a_silent_loss(bib, capsys):
    """`link --number 5` on a study cited as #1 and #3 of one entry replaced both with #5 (exit 0): #3 was lost
    without a word. The editor must say which number stays, so it is refused and nothing is written."""
    lib = Library.load(bib)
    record = lib.get("acog2020co800")
    assert [(lk.slug, lk.number) for lk in record.cited_in()] == [(HSG, 1)]
    record.links = [*record.links, EntryLink(HSG, "cited", 3)]
    lib.update(record)
    lib.save()
    before = bib.read_bytes()
    code, out, err = run(capsys, "--bib", bib, "link", "acog2020co800", HSG, "--as", "cited", "--number", "5")
    assert (code, out) == (1, "")
    assert err == ("reflib: 'acog2020co800' is cited in 'hysterosalpingogram' as #1 and #3; linking it as #5 would "
                   "replace both: unlink it (`reflib unlink acog2020co800 hysterosalpingogram --as cited`) and link "
                   "it again with the number the entry's text uses\n")
    assert bib.read_bytes() == before
    for number in ("3", "1"):  # a number it already has: nothing to change, nothing dropped
        code, out, _ = run(capsys, "--bib", bib, "link", "acog2020co800", HSG, "--as", "cited", "--number", number)
        assert (code, out) == (0, f"acog2020co800: cited in {HSG} as #{number}\n")
        assert bib.read_bytes() == before
    code, out, _ = run(capsys, "--bib", bib, "unlink", "acog2020co800", HSG, "--as", "cited")
    assert out == f"acog2020co800: no longer cited in {HSG} (was #1)\nacog2020co800: no longer cited in {HSG} (was #3)\n"
    code, out, _ = run(capsys, "--bib", bib, "link", "acog2020co800", HSG, "--as", "cited", "--number", "5")
    assert (code, out) == (0, f"acog2020co800: cited in {HSG} as #5\n")


def test_tagging_a_rejected_topic_clears_the_rejection_as_accept_does(bib, capsys):
    """`tag` of a topic the editor had rejected left it both manual and rejected (`classify --explain`: "not ...:
    rejected by an editor"); the editor's latest statement wins, as with `accept`."""
    flushing = "Infertility > Tubal factor > Tubal flushing"
    code, out, _ = run(capsys, "--bib", bib, "reject", "dreyer2017oil", "tubal-flushing")
    assert (code, out) == (0, f"dreyer2017oil: rejected topics: {flushing}\n")
    code, out, _ = run(capsys, "--bib", bib, "tag", "dreyer2017oil", "tubal-flushing")
    assert code == 0 and flushing in out
    record = Library.load(bib).get("dreyer2017oil")
    assert flushing in record.topics and record.topics_rejected == []
    code, out, _ = run(capsys, "--bib", bib, "classify", "--explain", "dreyer2017oil")
    assert code == 0 and "rejected by an editor" not in out
    run(capsys, "--bib", bib, "untag", "dreyer2017oil", "tubal-flushing")
    run(capsys, "--bib", bib, "reject", "dreyer2017oil", "Infertility")  # a parent's rejection covers it too
    assert run(capsys, "--bib", bib, "tag", "dreyer2017oil", "tubal-flushing")[0] == 0
    assert Library.load(bib).get("dreyer2017oil").topics_rejected == []


def test_list_and_search_json_say_what_is_still_to_verify(capsys):
    """An editor must see which fields of a record were not checked against a source: `list --json` and
    `search --json` left `unverified` (and the status it gives) out."""
    for command in ("list", "search"):
        code, out, _ = run(capsys, "--bib", REFERENCES, command, "--json", "--entry", HSG)
        assert code == 0
        found = {r["key"]: (r["verification"], r["unverified"]) for r in json.loads(out)}
        assert found["acog2020co800"] == ("verified", "none")
        assert found["dreyer2017oil"] == ("unverified", "volume, number, pages")


def test_entry_show_md_and_text_mark_unverified_studies_for_the_editor(capsys):
    """`entry show` (the editor's view of an entry's sources) did not say which cited or discussed studies still
    have fields to check; md and text now do. The html, which readers see, does not."""
    unverified = Library.load(REFERENCES).get("beverley2019salineair").unverified
    assert unverified and unverified != "none"
    code, out, _ = run(capsys, "--bib", REFERENCES, "entry", "show", HSG, "--format", "text")
    line = next(line for line in out.splitlines() if "Saline-Air Device" in line)
    assert line.endswith(f"(still to verify: {unverified})")
    assert not any("still to verify" in line for line in out.splitlines() if "Committee on Gynecologic" in line)
    assert next(line for line in out.splitlines() if "Oil-Based" in line).endswith(
        "(still to verify: volume, number, pages)")  # a cited study
    code, out, _ = run(capsys, "--bib", REFERENCES, "entry", "show", HSG, "--format", "md")
    assert code == 0
    line = next(line for line in out.splitlines() if "Saline-Air Device" in line)
    assert line.endswith(f"*(Still to verify: {unverified})*")
    code, out, _ = run(capsys, "--bib", REFERENCES, "entry", "show", HSG, "--format", "html")
    assert code == 0 and "verify" not in out
