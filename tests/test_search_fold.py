"""Search without accents: "muller" finds "Müller" (library.textfold). The searched text is folded by Arrow kernels,
the query by Python: both must agree on every character, or a typed word would miss text it names."""

from __future__ import annotations

import json
import random
import sys
import unicodedata
from pathlib import Path

import pyarrow as pa

from library.cli import main
from library.textfold import fold, fold_array

LIBRARY = r"""
@article{mueller2019, title={Tubal flushing with oil-based contrast}, author={M{\"u}ller, Hans and Dreyer, K.},
  year={2019}, journal={Fertil Steril}}
@article{saopaulo2020, title={Hysterosalpingography in S{\~a}o Paulo: a cohort}, author={Silva, Ana},
  year={2020}, abstract={Pain scores after the CO₂ insufflation were lower.}}
@article{lodz2018, title={Tubal patency in Łódź}, author={Kowalski, Jan}, year={2018},
  abstract={Stra{\ss}e und {\AE}rø: women were recruited at three centres.}}
@article{plain2021, title={Saline infusion sonography for tubal patency}, author={Smith, Jane}, year={2021}}
"""


def _keys(bib: Path, query: str, capsys) -> set[str]:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    assert main(["--bib", str(bib), "search", "--query", query, "--json"]) == 0
    return {r["key"] for r in json.loads(capsys.readouterr().out)}


def test_search_finds_accented_words_typed_without_accents_and_the_other_way(tmp_path, capsys):
    bib = tmp_path / "lib.bib"
    bib.write_text(LIBRARY, encoding="utf-8")
    assert _keys(bib, "muller", capsys) == {"mueller2019"}  # before: nothing found
    assert _keys(bib, "MÜLLER", capsys) == {"mueller2019"}
    assert _keys(bib, "sao paulo", capsys) == {"saopaulo2020"}
    assert _keys(bib, "são", capsys) == {"saopaulo2020"}
    assert _keys(bib, "co2 insufflation", capsys) == {"saopaulo2020"}  # subscript two, NFKD
    assert _keys(bib, "lodz", capsys) == {"lodz2018"}  # Ł has no decomposition: its own spelling
    assert _keys(bib, "strasse aero", capsys) == {"lodz2018"}
    assert _keys(bib, "straße", capsys) == {"lodz2018"}
    assert _keys(bib, "tubal patency", capsys) == {"lodz2018", "plain2021"}
    assert _keys(bib, "mullerx", capsys) == set()
    assert _keys(bib, "sis", capsys) == {"plain2021"}  # a vocabulary abbreviation still a whole word


def test_the_arrow_fold_agrees_with_the_python_fold_on_every_character():
    """Every character Python's Unicode database assigns (Arrow's utf8proc may know newer ones), alone and inside
    words, as the searched text (Arrow) and as the typed query (Python)."""
    chars = [chr(c) for c in range(0x20, 0x10000)
             if not 0xD800 <= c < 0xE000 and unicodedata.category(chr(c)) != "Cn"]
    folded = fold_array(pa.array(chars)).to_pylist()
    assert [c for c, f in zip(chars, folded, strict=True) if fold(c) != f] == []
    rng = random.Random(7)
    words = ["".join(rng.choice(chars) for _ in range(rng.randint(1, 12))) + " Ab" for _ in range(3000)]
    words += ["ascii only", "", "Ünïcödé ǅ ﬁ ½ Ǆ ẞ İstanbul Σ", "e\u0301te\u0301", "ΟΔΟΣ ΚΑΙ ΣΟΦΙΑΣ"]  # final sigma
    assert fold_array(pa.array(words)).to_pylist() == [fold(w) for w in words]


def test_fold_examples():
    assert fold("Müller") == fold("MULLER") == "muller"
    assert fold("Ærø Łódź Straße œuvre ﬁbroid CO₂") == "aero lodz strasse oeuvre fibroid co2"
    assert fold("e\u0301tude") == fold("étude") == "etude"
    assert fold("Plain ASCII") == "plain ascii"
    assert sys.maxunicode >= 0x10000  # the test above covers the whole Basic Multilingual Plane
