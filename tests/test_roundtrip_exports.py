"""Values read back through the BibTeX exporter's LaTeX encoding: a record exported as BibTeX (the file for LaTeX
users, not the store's own UTF-8) and imported again holds the values it had (property-based, seeded), over
nearly all of Unicode. The encoding spells a character in LaTeX only when that spelling reads back as the same
character; anything else stays UTF-8.

The expected value is the written one with runs of white space (Unicode's, as the BibTeX reader squashes them)
as one space. Values begin and end with a letter (a title's closing period is a reader's business).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ingest.importer import import_records
from ingest.readers import read_data
from library import Library
from library.export import export_records
from library.export.bibtex import latex, protect_title
from library.latex import decode_latex, encode_latex
from library.model import Record

# a wide alphabet: every assigned code point but controls, surrogates and private use (which the store drops or
# cannot write), weighted towards what the encoding spells: LaTeX specials, dashes, quotes, accents, symbols
wide = st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn"))
spelled = st.sampled_from(list("\\{}$%#&_~^-–—‘’“”′″‴−⁻₋²₂°µμΔ∆ΞΥιυοÖȪǕḯÅÅıßø\u00a0\u2009\u200b\u2060\u202f"
                               "'`\"@,;.:!?() "))
letters = st.characters(categories=("Lu", "Ll", "Lo"))
inner = st.lists(st.one_of(wide, spelled, spelled), max_size=40).map("".join)
values = st.builds(lambda a, b, c: a + b + c, letters, inner, letters)
FIELDS = ("title", "journal", "abstract", "note", "publisher")


def canonical(value: str) -> str:
    return " ".join(value.split())


@pytest.mark.slow
@settings(max_examples=400, deadline=None, derandomize=True)
@given(text=st.one_of(values, inner))
def test_latex_encoding_reads_back(text: str) -> None:
    for encoded in (latex(text), protect_title(text), encode_latex(text)):
        assert decode_latex(encoded) == canonical(text), encoded


def test_spellings_that_used_to_come_back_changed() -> None:
    # double accents, micro sign, primes, super/subscripts, minus, quotes, adjacent dashes
    for text in ("Ȫ", "ǘ", "ḯ", "Ậ", "µg", "μg", "3′ and 5″", "HCO₃⁻", "CO₂", "−80 ℃", "x²", "‘a’ “b”",
                 "a--b", "a–-b", "a–—b", "pp. 1-–2", "\\$5", "\\~", "ı", "a\u200bb"):
        assert decode_latex(latex(text)) == canonical(text), (text, latex(text))
    assert latex("Ȫ") == '{\\={\\"O}}' and latex("µ") == "\\textmu{}" and latex("μ") == "$\\mu$"
    # no spelling reads back as these: they stay UTF-8 (≦ would come back as ≤, the Angstrom sign as Å)
    for kept in ("≦", "⩾", "∆", "ο", "\u212b", "\u200d"):
        assert latex(f"a{kept}b") == f"a{kept}b"
    assert unicodedata.normalize("NFC", "\u212b") != "\u212b"


SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_BAD_END = re.compile(r"[.\s]$")


@pytest.mark.slow  # about a second or more: run by make test, not make unit
@SETTINGS
@given(record=st.fixed_dictionaries(dict.fromkeys(FIELDS, values)))
def test_values_read_back_through_the_bibtex_exporter(tmp_path: Path, record: dict[str, str]) -> None:
    source = Record(key="src", entry_type="article", year=2020, doi="10.1234/x.1", **record)
    exported = export_records([source], "bibtex").text
    result = read_data(exported.encode("utf-8"), "export.bib", "bibtex")
    assert not [p for p in result.problems if p.severity == "error"], result.problems
    path = tmp_path / "lib.bib"
    path.unlink(missing_ok=True)
    lib = Library.create(path)
    report = import_records(lib, result.records, source="export.bib")
    assert len(report.added) == 1
    lib.save()
    back = Library.load(path, use_cache=False).get(report.added[0].key)
    for name in FIELDS:
        assert getattr(back, name) == canonical(record[name]), (name, exported)
