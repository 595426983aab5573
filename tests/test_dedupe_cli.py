"""``reflib dedupe``: dry run by default, --apply merges and saves, review decisions remembered; exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from library import Library
from library.cli import main
from library.dedupe import decisions_path, load_decisions

from .conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = FIXTURES / "dedupe" / "library.bib"


@pytest.fixture
def bib(tmp_path: Path) -> Path:
    target = tmp_path / "references.bib"
    shutil.copyfile(LIBRARY, target)
    return target


def test_dry_run_reports_and_changes_nothing(bib, capsys):
    before = bib.read_bytes()
    assert main(["--bib", str(bib), "dedupe"]) == 1
    out = capsys.readouterr().out
    assert "cluster 1: keep dreyer2017oil, merge dreyer2017crossref" in out
    assert "review: vanrijswijk2020" in out and "vanrijswijk2020pages" in out and "different pages" in out
    assert "2 cluster(s) to merge, 1 pair(s) to review" in out
    assert bib.read_bytes() == before and not decisions_path(bib).exists()


def test_json_lists_clusters_with_keeper_and_evidence(bib, capsys):
    assert main(["--bib", str(bib), "dedupe", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    clusters = {tuple(c["keys"]): c for c in data["clusters"]}
    assert clusters[("dreyer2017oil", "dreyer2017crossref")]["keeper"] == "dreyer2017oil"
    assert clusters[("vanwelie2019foam", "vanwelie2019ris")]["pairs"][0]["tier"] == "fuzzy"
    vetoed = {frozenset(p["keys"]) for p in data["vetoed"]}
    assert frozenset({"mol2020part1", "mol2020part2"}) in vetoed
    assert frozenset({"dreyer2017oil", "dreyer2017erratum"}) in vetoed
    assert data["merged"] == []
    related = {(r["keys"][0], r["kind"], r["keys"][1]) for r in data["related"]}
    assert related == {("dreyer2017erratum", "erratum-of", "dreyer2017oil"),
                       ("vanwelie2019abstract", "abstract-of", "vanwelie2019foam")}
    assert all(r["reasons"] for r in data["related"])


def test_related_records_are_listed_and_survive_apply(bib, capsys):
    assert main(["--bib", str(bib), "dedupe"]) == 1
    out = capsys.readouterr().out
    assert "related: dreyer2017erratum erratum-of dreyer2017oil" in out
    assert "2 related record(s) kept apart" in out
    assert main(["--bib", str(bib), "dedupe", "--apply", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    kept = {(r["keys"][0], r["keys"][1]) for r in data["related"]}
    assert ("vanwelie2019abstract", "vanwelie2019foam") in kept  # named by the kept copy after the merge
    lib = Library.load(bib)
    assert {"dreyer2017erratum", "vanwelie2019abstract", "dreyer2017oil"} <= set(lib.keys())


def test_apply_merges_saves_and_leaves_the_review_pair(bib, capsys):
    assert main(["--bib", str(bib), "dedupe", "--apply"]) == 1  # the review pair still needs an editor
    out = capsys.readouterr().out
    assert "merged dreyer2017crossref into dreyer2017oil" in out
    lib = Library.load(bib)
    assert "dreyer2017crossref" not in lib and "vanwelie2019ris" not in lib
    assert {"dreyer2017erratum", "mol2020part1", "mol2020part2", "notitle2021", "notitle2021b"} <= set(lib.keys())
    merged = lib.get("dreyer2017oil")
    assert merged.journal_abbrev == "N Engl J Med" and "merged: dreyer2017crossref (" in merged.provenance
    assert main(["--bib", str(bib), "dedupe"]) == 1  # only the review pair is left
    assert "0 cluster(s) to merge, 1 pair(s) to review" in capsys.readouterr().out


def test_reject_then_nothing_left_exits_0(bib, capsys):
    assert main(["--bib", str(bib), "dedupe", "--apply"]) == 1
    capsys.readouterr()
    code = main(["--bib", str(bib), "dedupe", "--reject", "vanrijswijk2020tubal", "vanrijswijk2020pages"])
    assert code == 0
    assert load_decisions(decisions_path(bib)).status("vanrijswijk2020pages", "vanrijswijk2020tubal") == "rejected"
    saved = json.loads(decisions_path(bib).read_text())
    assert saved["format"] == "reflib-dedupe-decisions" and saved["rejected"][0]["keys"] == [
        "vanrijswijk2020pages", "vanrijswijk2020tubal"]


def test_accept_then_apply_merges_the_pair(bib, capsys):
    main(["--bib", str(bib), "dedupe", "--accept", "vanrijswijk2020tubal", "vanrijswijk2020pages", "--apply"])
    lib = Library.load(bib)
    assert "vanrijswijk2020pages" not in lib and "vanwelie2019ris" not in lib
    assert "vanwelie2019abstract" in lib  # a meeting abstract of the paper: related, never merged
    assert main(["--bib", str(bib), "dedupe"]) == 0


def test_unknown_key_is_a_usage_error(bib, capsys):
    assert main(["--bib", str(bib), "dedupe", "--accept", "dreyer2017oil", "nosuchkey"]) == 2
    assert "nosuchkey" in capsys.readouterr().err
    assert not decisions_path(bib).exists()


def test_review_needs_a_terminal(bib, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main(["--bib", str(bib), "dedupe", "--review"]) == 2
    assert "--accept" in capsys.readouterr().err


def test_interactive_review_records_the_answer(bib, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter(["x", "r"])  # an invalid answer is asked again
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert main(["--bib", str(bib), "dedupe", "--review"]) == 1  # the auto clusters are still unmerged
    decisions = load_decisions(decisions_path(bib))
    assert len(decisions.rejected) == 1 and not decisions.accepted


def test_library_without_duplicates_exits_0(tmp_path, capsys):
    clean = tmp_path / "clean.bib"
    clean.write_text("@article{a,\n  title = {Tubal flushing with oil},\n  year = {2020}\n}\n", encoding="utf-8")
    assert main(["--bib", str(clean), "dedupe"]) == 0
    assert "0 cluster(s) to merge, 0 pair(s) to review" in capsys.readouterr().out


def test_malformed_decisions_file_is_reported(bib, capsys):
    decisions_path(bib).write_text("{not json", encoding="utf-8")
    assert main(["--bib", str(bib), "dedupe"]) == 1
    assert "fix or delete the file" in capsys.readouterr().err


@pytest.mark.slow  # ~5 s: a real reflib process
def test_cli_subprocess_exit_code():
    """As a user runs it: the bundled fixture has duplicates, so exit 1 (and nothing written in dry-run mode)."""
    result = subprocess.run([sys.executable, "-m", "library.cli", "--bib", str(LIBRARY), "dedupe", "--json"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1, result.stderr
    assert len(json.loads(result.stdout)["clusters"]) == 2


def test_apply_json_report_keeps_the_removed_copies_recoverable(bib, capsys):
    assert main(["--bib", str(bib), "dedupe", "--apply", "--json"]) == 1
    merged = {m["keeper"]: m for m in json.loads(capsys.readouterr().out)["merged"]}
    removed = merged["dreyer2017oil"]["before"]["dreyer2017crossref"]
    assert removed.startswith("@article{dreyer2017crossref,") and "N Engl J Med" in removed
    restored = bib.with_name("restored.bib")
    restored.write_text(removed + "\n", encoding="utf-8")
    assert Library.load(restored).get("dreyer2017crossref").pages == "2043-52"


def test_apply_stores_related_links_with_the_kept_key(bib, capsys):
    assert main(["--bib", str(bib), "dedupe"]) == 1
    assert "2 relation(s) to store in the relations field" in capsys.readouterr().out
    before = Library.load(bib)
    untouched = {k: before.get(k) for k in before if k not in {"dreyer2017erratum", "vanwelie2019abstract"}}
    assert main(["--bib", str(bib), "dedupe", "--apply"]) == 1
    out = capsys.readouterr().out
    assert "stored relation: dreyer2017erratum erratum-of dreyer2017oil" in out
    assert "(2 merge(s), 2 relation(s))" in out
    lib = Library.load(bib)
    erratum = lib.get("dreyer2017erratum")
    assert [rel.text() for rel in erratum.relations] == ["erratum-of dreyer2017oil"]
    abstract = lib.get("vanwelie2019abstract")
    assert [rel.text() for rel in abstract.relations] == ["abstract-of vanwelie2019foam"]  # the kept key
    old = before.get("dreyer2017erratum")
    erratum.relations, erratum.modified = old.relations, old.modified
    assert erratum == old  # nothing else changed
    for key, record in untouched.items():
        if key in lib and key not in {"dreyer2017oil", "vanwelie2019foam"}:
            assert lib.get(key) == record
    text = bib.read_bytes()
    assert main(["--bib", str(bib), "dedupe", "--apply", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["relations"] == []  # already stored: never repeated
    assert bib.read_bytes() == text
