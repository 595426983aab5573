"""Screening as two editors use it (audit of issue 18): the PRISMA numbers add up, two-reviewer mode holds for
records added after it was switched on, an include writes no made-up citation key, and a flow asked for an
unknown search or entry says so."""

from __future__ import annotations

import json
from pathlib import Path

from library import Library
from library.cli import main
from library.screen.inbox import Inbox, inbox_path

from .conftest import FIXTURES


def run(bib: Path, *args: str) -> int:
    return main(["--bib", str(bib), *args])


RIS = """TY  - JOUR
TI  - Oil-based versus water-based contrast for hysterosalpingography in infertile women
AU  - Dreyfus, Anna
PY  - 2021
JO  - Fertility Research Letters
VL  - 12
SP  - 101
EP  - 108
ER  -

TY  - JOUR
AU  - Nobody, X
PY  - 2021
ER  -

TY  - JOUR
TI  - Saline infusion sonography for tubal patency: a prospective comparison with laparoscopy
AU  - Okafor, Bisi
PY  - 2020
JO  - Journal of Pelvic Imaging
VL  - 4
SP  - 55
EP  - 61
ER  -
"""


def _library(tmp_path: Path) -> tuple[Path, Path]:
    bib = tmp_path / "references.bib"
    bib.write_bytes((FIXTURES / "import" / "hsg.bib").read_bytes())
    ris = tmp_path / "search.ris"
    ris.write_text(RIS, encoding="utf-8")
    return bib, ris


def test_records_imported_after_two_reviewer_mode_was_switched_on_need_two_reviewers(tmp_path, capsys):
    """``screen config --reviewers 2`` then ``import --screen``: one editor's include moved the record straight
    into the library (the new records were added needing one reviewer)."""
    bib, ris = _library(tmp_path)
    assert run(bib, "screen", "config", "--reviewers", "2") == 0
    assert run(bib, "import", "--screen", str(ris)) == 0
    with Inbox.open(inbox_path(bib)) as inbox:
        first = inbox.items()[0].id
    before = bib.read_bytes()
    capsys.readouterr()
    assert run(bib, "screen", "include", str(first), "--reviewer", "ann") == 0
    assert f"#{first}: include by ann -> open" in capsys.readouterr().out
    assert bib.read_bytes() == before  # waits for the second reviewer
    assert run(bib, "screen", "include", str(first), "--reviewer", "bob") == 0
    assert "is in the library as" in capsys.readouterr().out


def test_prisma_accounts_for_records_without_title_or_identifier(tmp_path, capsys):
    """A record the import skipped (no title, no identifier) was identified but in no later box:
    identified (3) != duplicates removed (0) + screened (0) + awaiting (2)."""
    bib, ris = _library(tmp_path)
    assert run(bib, "import", "--screen", str(ris)) == 0
    capsys.readouterr()
    for args in (("prisma", "--format", "json"), ("prisma", "--search", str(ris), "--format", "json")):
        assert run(bib, "screen", *args) == 0
        d = json.loads(capsys.readouterr().out)
        assert d["identified_total"] == 3 and d["awaiting"] == 2 and d["removed_other"] == 1
        assert d["identified_total"] == (d["duplicates_removed"] + d["removed_other"] + d["screened"]
                                         + d["awaiting"])
    assert run(bib, "screen", "prisma") == 0
    assert "removed before screening, no title or identifier: 1" in capsys.readouterr().out
    assert run(bib, "screen", "prisma", "--format", "svg") == 0
    assert "other reasons (n = 1)" in capsys.readouterr().out


def test_an_include_writes_no_inbox_number_as_a_citation_key_alias(tmp_path, capsys):
    """The inbox record's working name (``inbox12``) went into the library as a biblatex alias (``ids``), as if
    it were the source's own citation key: ``\\cite{inbox12}`` resolved, and the numbers start again in a new
    inbox."""
    bib, ris = _library(tmp_path)
    assert run(bib, "import", "--screen", str(ris)) == 0
    with Inbox.open(inbox_path(bib)) as inbox:
        first = inbox.items()[0].id
    capsys.readouterr()
    assert run(bib, "screen", "include", str(first), "--reviewer", "ann") == 0
    out = capsys.readouterr().out
    key = out.split("is in the library as ")[1].split()[0]
    assert "ids" not in Library.load(bib).get(key).extra
    assert "inbox" not in bib.read_text(encoding="utf-8")


def test_prisma_of_an_unknown_search_or_entry_is_an_error_that_names_the_known_ones(tmp_path, capsys):
    """A mistyped ``--search`` drew an empty flow (all zeros) with exit code 0, as if nothing had been found."""
    bib, ris = _library(tmp_path)
    assert run(bib, "import", "--screen", "--entry", "hysterosalpingogram", "--as", "discussed", str(ris)) == 0
    capsys.readouterr()
    assert run(bib, "screen", "prisma", "--search", "serch.ris") == 1
    assert str(ris) in capsys.readouterr().err
    assert run(bib, "screen", "prisma", "--entry", "hysterosalpingram") == 1
    assert "hysterosalpingogram" in capsys.readouterr().err
    assert run(bib, "screen", "prisma", "--entry", "hysterosalpingogram", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["awaiting"] == 2


def test_the_figure_lists_every_count_or_sums_the_rest():
    """With more sources than the identification box lists (6) or more reasons than the exclusion box lists (8;
    the default list has 10), the rest was left out silently: the listed counts did not add up to the n above
    them."""
    import re

    from library.screen.prisma import Flow, to_svg

    f = Flow("all", identified={f"search-{n}": n + 1 for n in range(9)},
             excluded={f"reason {n}": 10 - n for n in range(10)})
    svg = to_svg(f)
    lines = re.findall(r">  ([^<]*): (\d+)</text>", svg)
    sources = [int(n) for name, n in lines if name.startswith(("search-", "4 more sources"))]
    reasons = [int(n) for name, n in lines if name.startswith(("reason ", "3 more reasons"))]
    assert "Records identified (n = 45)" in svg and sum(sources) == 45
    assert "Records excluded (n = 55)" in svg and sum(reasons) == 55
    assert "4 more sources: 30" in svg and "3 more reasons: 6" in svg


def test_back_to_one_reviewer_moves_what_that_settles_into_the_library(tmp_path, capsys):
    """``screen config --reviewers 1`` settles records one reviewer had included in two-reviewer mode: they
    were 'included' in the inbox (and in PRISMA) but not in the library until some later decision."""
    bib, ris = _library(tmp_path)
    assert run(bib, "screen", "config", "--reviewers", "2") == 0
    assert run(bib, "import", "--screen", str(ris)) == 0
    with Inbox.open(inbox_path(bib)) as inbox:
        first = inbox.items()[0].id
    assert run(bib, "screen", "include", str(first), "--reviewer", "ann") == 0
    keys = set(Library.load(bib).keys())
    capsys.readouterr()
    assert run(bib, "screen", "config", "--reviewers", "1") == 0
    assert f"#{first} is in the library as" in capsys.readouterr().out
    assert len(set(Library.load(bib).keys()) - keys) == 1
    with Inbox.open(inbox_path(bib)) as inbox:
        assert inbox.get(first).state == "included" and not inbox.pending_includes()


def _search_csv(folder: Path, numbers: range) -> Path:
    """An export called ``search.csv``, as every database names its exports, in its own folder."""
    folder.mkdir()
    rows = ["title,author,year,journal,doi"]
    rows += [f"Tubal patency imaging study {n} of cohort {n * 7919},\"Author{n}, A\",{2000 + n % 20},Journal {n},"
             f"10.1000/entry.{n}" for n in numbers]
    path = folder / "search.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_per_entry_prisma_adds_up_when_one_file_name_feeds_two_entries(tmp_path, capsys, monkeypatch):
    """Two exports both called ``search.csv`` for two entries: the identification log had no entry, so each
    entry's flow counted the other entry's run too (identified 25, while duplicates + screened + awaiting = 15)."""
    bib = tmp_path / "references.bib"
    for folder, numbers, entry in (("hsg", range(10), "hysterosalpingogram"),
                                   ("sis", range(5, 20), "saline-infusion-sonography")):
        _search_csv(tmp_path / folder, numbers)
        monkeypatch.chdir(tmp_path / folder)
        assert run(bib, "import", "--screen", "search.csv", "--entry", entry, "--as", "discussed") == 0
    capsys.readouterr()
    flows = {}
    for args in (("--entry", "hysterosalpingogram"), ("--entry", "saline-infusion-sonography"),
                 ("--search", "search.csv"), ()):
        assert run(bib, "screen", "prisma", *args, "--format", "json") == 0
        d = flows[args] = json.loads(capsys.readouterr().out)
        assert d["identified_total"] == (d["duplicates_removed"] + d["removed_other"] + d["screened"]
                                         + d["awaiting"]), (args, d)
        assert not d["note"]  # no run logged before the entry was recorded
    hsg, sis, search, everything = flows.values()
    assert (hsg["identified_total"], hsg["duplicates_removed"], hsg["awaiting"]) == (10, 0, 10)
    assert (sis["identified_total"], sis["duplicates_removed"], sis["awaiting"]) == (15, 5, 10)
    assert (search["identified_total"], search["duplicates_removed"], search["awaiting"]) == (25, 5, 20)
    assert everything == search | {"label": "all searches"}
    assert run(bib, "screen", "prisma", "--entry", "hysterosalpingogram") == 0
    out = capsys.readouterr().out
    assert "identified: 10 (search.csv: 10)" in out and "note" not in out


def test_an_include_keeps_the_source_citation_key_as_a_direct_import_does(tmp_path, capsys):
    """A ``.bib`` file imported with ``--screen``: the inbox did not store the source's citation key, so an
    included record lost it (a direct import keeps ``Dreyer2017`` as an alias, ``ids``, beside reflib's key);
    the inbox's own number must still never become one."""
    source = tmp_path / "new.bib"
    source.write_text("@article{Dreyer2017,\n  title = {Oil-based or water-based contrast for hysterosalpingography in "
                      "infertile women},\n  author = {Dreyer, Kim and van Rijswijk, Joukje},\n  year = {2017},\n"
                      "  journal = {N Engl J Med},\n  doi = {10.1056/NEJMoa1612345}\n}\n\n"
                      "@article{smith2019radiation,\n  title = {Radiation dose of hysterosalpingography in the "
                      "clinic},\n  author = {Smith, J},\n  year = {2019}\n}\n", encoding="utf-8")
    direct, screened = tmp_path / "direct.bib", tmp_path / "screened.bib"
    assert run(direct, "import", str(source)) == 0
    assert run(screened, "import", "--screen", str(source)) == 0
    with Inbox.open(inbox_path(screened)) as inbox:
        ids = [it.id for it in inbox.items()]
        assert [inbox.get(i).source_key for i in ids] == ["Dreyer2017", "smith2019radiation"]
    assert run(screened, "screen", "show", str(ids[0])) == 0
    assert ", key Dreyer2017" in capsys.readouterr().out
    assert run(screened, "screen", "include", *map(str, ids), "--reviewer", "ann") == 0
    capsys.readouterr()
    want, got = Library.load(direct), Library.load(screened)
    assert sorted(got.keys()) == sorted(want.keys()) == ["dreyer2017oil", "smith2019radiation"]
    for key in want:
        assert got.get(key).extra.get("ids") == want.get(key).extra.get("ids"), key
    assert got.get("dreyer2017oil").extra["ids"] == "Dreyer2017"
    assert "ids" not in got.get("smith2019radiation").extra  # the source key is reflib's key: no alias
    assert "inbox" not in screened.read_text(encoding="utf-8")
