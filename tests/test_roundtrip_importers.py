"""Values read back through every importer: a record written as RIS, CSV, CSL-JSON, BibTeX and MEDLINE text,
imported into a library, saved and loaded, holds the values that were written (property-based, seeded).

Each file is written here by the rules of its format (independently of the readers and exporters). The expected value is the written one with runs of white space as one space - the
store's one normalization. Values begin and end with a letter (a title's closing period is a reader's business)
and avoid ``<`` and ``&...;`` (HTML markup and entities, which the readers of RIS, CSV and JSON decode).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ingest.importer import import_records
from ingest.readers import read_data, read_file
from library import Library

# fixed examples, no shrinking (a failure is shown as generated; shrinking it took minutes): a few seconds a format
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FIELDS = ("title", "journal", "abstract")

letters = st.characters(categories=("Lu", "Ll"), max_codepoint=0x4FFF)
pieces = st.one_of(letters, st.characters(categories=("Nd",), max_codepoint=0x7F),
                   st.sampled_from(list(" \\{}@%#~$_^'\"`;:,.-/()[]!?*+=|é ßα中\u00a0")),
                   st.sampled_from(["\\}", "{\\", "@article{x,", " @misc", "& ", "%"]))
inner = st.lists(pieces, max_size=30).map("".join)
values = st.builds(lambda a, b, c: a + b + c, letters, inner, letters)
records = st.fixed_dictionaries(dict.fromkeys(FIELDS, values))


def canonical(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _ris(r: dict[str, str]) -> bytes:
    lines = ["TY  - JOUR", f"TI  - {r['title']}", f"JO  - {r['journal']}", f"AB  - {r['abstract']}", "PY  - 2020",
             "DO  - 10.1234/x.1", "ER  - ", ""]
    return "\n".join(lines).encode()


def _csv(r: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Title", "Journal", "Abstract", "Year", "DOI"])
    writer.writerow([r["title"], r["journal"], r["abstract"], "2020", "10.1234/x.1"])
    return out.getvalue().encode()


def _csl(r: dict[str, str]) -> bytes:
    return json.dumps([{"type": "article-journal", "title": r["title"], "container-title": r["journal"],
                        "abstract": r["abstract"], "issued": {"date-parts": [[2020]]}, "DOI": "10.1234/x.1"}],
                      ensure_ascii=False).encode()


# a UTF-8 BibTeX file: the ten characters LaTeX treats specially spelled as commands, the rest as they are
_LATEX = str.maketrans({"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "#": r"\#",
                        "$": r"\$", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"})


def _bibtex(r: dict[str, str]) -> bytes:
    def field(name: str) -> str:
        return f"  {name} = {{{r[name].translate(_LATEX)}}},\n"

    return ("@article{src,\n" + field("title") + field("journal") + field("abstract")
            + "  year = {2020},\n  doi = {10.1234/x.1}\n}\n").encode()


def _medline(r: dict[str, str]) -> bytes:
    def tag(name: str, value: str) -> str:  # MEDLINE wraps long values on lines indented by six spaces
        words = value.split(" ")
        lines, line = [], ""
        for word in words:
            if line and len(line) + len(word) > 70:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        return f"{name:<4}- " + "\n      ".join(lines)

    return "\n".join(["PMID- 12345678", tag("TI", r["title"]), tag("JT", r["journal"]), tag("AB", r["abstract"]),
                      "DP  - 2020", "AID - 10.1234/x.1 [doi]", ""]).encode()


WRITERS = {"ris": _ris, "csv": _csv, "csl-json": _csl, "bibtex": _bibtex, "medline": _medline}


@pytest.mark.parametrize("fmt", list(WRITERS))
@SETTINGS
@given(record=records)
def test_values_read_back_through_each_importer(tmp_path: Path, fmt: str, record: dict[str, str]) -> None:
    path = tmp_path / f"lib-{fmt}.bib"
    path.unlink(missing_ok=True)
    lib = Library.create(path)
    result = read_data(WRITERS[fmt](record), f"in.{fmt}", fmt)
    assert not [p for p in result.problems if p.severity == "error"], result.problems
    report = import_records(lib, result.records, source="in")
    assert len(report.added) == 1
    lib.save()
    back = Library.load(path, use_cache=False).get(report.added[0].key)
    for name in FIELDS:
        assert getattr(back, name) == canonical(record[name]), (fmt, name)


def test_article_numbers_and_notes_survive_a_round_trip(tmp_path) -> None:
    """biblatex's ``eid`` and CSL-JSON's ``number`` (how reflib exports an article number) read back as pages;
    BibTeX keeps a note's final full stop and writes the journal abbreviation (``shortjournal``)."""
    from library.export import export_records
    from library.model import Record

    record = Record(key="wang2020tubal", entry_type="article", title="Tubal flushing for subfertility",
                    journal="Cochrane Database of Systematic Reviews", journal_abbrev="Cochrane Database Syst Rev",
                    year=2020, pages="CD003718", note="15 RCTs, 3864 women.")
    for fmt, name in (("biblatex", "x.bib"), ("csl-json", "x.json"), ("bibtex", "y.bib")):
        path = tmp_path / name
        path.write_text(export_records([record], fmt).text, encoding="utf-8")
        (back,) = read_file(path).records
        assert back.pages == "CD003718", fmt
        assert back.journal_abbrev == "Cochrane Database Syst Rev", fmt
    assert "note         = {15 RCTs, 3864 women.}" in export_records([record], "bibtex").text
