"""The compiled styles (library.export.csl_compiled, the default engine) give exactly what citeproc-py with reflib's
fixes gives (``engine="citeproc"``, the reference): record by record and in bibliography order, on the bundled
library, real corpus records, CSL-JSON items of the CSL test suite and generated records (Hypothesis); citeproc-py's
string arithmetic is checked against the compiled one directly. benchmarks/citation_differential.py runs the same
comparison on every record of ../shared/corpus."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from citeproc.string import MixedString, String
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.citation_corpus import citation_records
from library import Library
from library.export import STYLE_FORMATS, cite_many, compiled_coverage, format_bibliography, format_csl_items
from library.export.csl_compiled import (
    Rich,
    affixer,
    append,
    cat,
    ends_sentence,
    join,
    joiner,
    joiner_reference,
    quote_start,
    seam,
    wrap_reference,
)
from library.export.csljson import csl_item
from library.model import Author, Record

from .conftest import CORPUS, REFERENCES

CSL_SUITE = CORPUS / "github/citation-style-language-test-suite/processor-tests/machines"


def _assert_same(records: list[Record], fmt: str = "html") -> None:
    fast = cite_many(records, fmt)
    slow = cite_many(records, fmt, engine="citeproc")
    differing = [(r.key, {k: (a[k], b[k]) for k in a if a[k] != b[k]}) for r, a, b in zip(records, fast, slow,
                                                                                         strict=True) if a != b]
    assert not differing, f"{len(differing)} of {len(records)} records differ, e.g. {differing[:2]}"


def test_bundled_records_are_identical_and_take_the_compiled_path() -> None:
    records = list(Library.load(REFERENCES).records())[:8]
    _assert_same(records, "html")
    for style in STYLE_FORMATS:
        assert all(compiled_coverage(records, style)), style  # the comparison is not vacuous


@pytest.mark.slow  # about 2 s each
@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_bibliography_order_and_entries_are_identical_on_the_bundled_library(fmt: str) -> None:
    records = list(Library.load(REFERENCES).records())
    for style in STYLE_FORMATS:  # APA and MLA sort: the compiled sort keys must give citeproc-py's order
        assert format_bibliography(records, style, fmt) == format_bibliography(records, style, fmt, engine="citeproc")


@pytest.mark.slow  # about 40 s
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_real_corpus_records_are_identical() -> None:
    records = citation_records(CORPUS)
    assert len(records) > 300
    _assert_same(records, "html")
    _assert_same(records, "text")
    for style in ("apa", "mla"):
        assert format_bibliography(records, style) == format_bibliography(records, style, engine="citeproc")
    covered = compiled_coverage(records, "apa")
    assert sum(covered) / len(covered) > 0.9


@pytest.mark.slow  # about 30 s (every item: `python -m benchmarks.citation_differential --csl-only`)
@pytest.mark.skipif(not CSL_SUITE.is_dir(), reason="../shared/corpus is not here")
def test_csl_test_suite_items_are_identical() -> None:
    items = [item for path in sorted(CSL_SUITE.glob("*.json"))
             for item in json.loads(path.read_text(encoding="utf-8")).get("input") or [] if isinstance(item, dict)]
    assert len(items) > 1000
    # a third of the items, spread over every test file of the suite; only valid CSL-JSON (an item without a
    # `type` fails in citeproc-py alone and renders in some batches: no stable reference to compare with)
    items = [item for item in items[::3] if item.get("type")]
    for style in STYLE_FORMATS:
        assert format_csl_items(items, style, "html") == format_csl_items(items, style, "html", engine="citeproc")


def test_what_is_not_compiled_goes_to_citeproc() -> None:
    record = Record(key="nocase", title='The <span class="nocase">iPhone</span> trial', journal="Lancet",
                    year=2020, authors=[Author(family="Smith", given="John")])
    plain = Record(key="plain", title="The iPhone trial", journal="Lancet", year=2020,
                   authors=[Author(family="Smith", given="John")])
    assert compiled_coverage([record, plain], "apa") == [False, True]
    _assert_same([record, plain])


def test_a_group_whose_first_child_calls_a_variable_compiles() -> None:
    # Vancouver's "Available from: URL" group: its generated code was invalid, so every journal article with a URL
    # (12% of the corpus) went to citeproc-py
    record = Record(key="url", title="A trial", journal="Lancet", year=2020, volume="1", pages="1-2",
                    authors=[Author(family="Smith", given="John")], url="https://example.org/a")
    assert compiled_coverage([record], "vancouver") == [True]
    _assert_same([record])
    _assert_same([record], "text")


def test_a_shape_that_fails_to_compile_is_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from library.export import csl_compiled
    from library.export.citeproc import _Style

    compiled = _Style("vancouver").compiled
    made: list[object] = []

    def broken(*args: object) -> None:
        made.append(args)
        raise SyntaxError("generated code")

    monkeypatch.setattr(csl_compiled, "_Compiler", broken)
    records = [Record(key=f"r{n}", title=f"Trial {n}", journal="Lancet", year=2000 + n,
                      authors=[Author(family="Smith", given="John")]) for n in range(3)]
    for record in records:
        with pytest.raises(csl_compiled.Unsupported, match="shape not compiled .SyntaxError"):
            compiled.render(csl_item(record) | {"id": record.key})
    assert len(made) == 1  # the three records share a shape


def test_variables_the_style_never_reads_do_not_make_a_new_shape() -> None:
    from library.export.citeproc import _Style

    compiled = _Style("apa").compiled
    base = {"id": "a", "type": "article-journal", "title": "A trial", "container-title": "Lancet",
            "issued": {"date-parts": [[2020]]}, "author": [{"family": "Smith", "given": "John"}]}
    compiled.render(base)
    compiled.render(base | {"id": "b", "abstract": "Background.", "keyword": "tubal patency", "note": "n"})
    assert len(compiled._shapes) == 1
    compiled.render(base | {"id": "c", "DOI": "10.1/x"})  # APA prints the DOI: a shape of its own
    assert len(compiled._shapes) == 2


def test_a_macro_is_compiled_once_for_the_shapes_that_agree_on_its_variables() -> None:
    from library.export.citeproc import _Style

    compiled = _Style("apa").compiled
    base = {"id": "a", "type": "article-journal", "title": "A trial", "container-title": "Lancet",
            "issued": {"date-parts": [[2020]]}, "author": [{"family": "Smith", "given": "John"}]}
    for n, extra in enumerate([{}, {"DOI": "10.1/x"}, {"page": "1-2"}]):
        compiled.render(base | {"id": f"i{n}"} | extra)
    assert len(compiled._shapes) == 3
    made = Counter(key[1] for key in compiled._memo if isinstance(key, tuple) and key[0] == "macro")
    assert made["title"] == 1  # neither the DOI nor the page changes how the title is compiled
    assert made["source-DOI-URL"] == 2  # the DOI does


def test_the_compiled_macros_are_dropped_with_the_shapes() -> None:
    from library.export.citeproc import _Style

    compiled = _Style("apa").compiled
    compiled._MAX_SHAPES = 2
    base = {"id": "a", "type": "article-journal", "title": "A trial", "container-title": "Lancet",
            "issued": {"date-parts": [[2020]]}, "author": [{"family": "Smith", "given": "John"}]}
    items = [base | {"id": f"i{n}"} | extra for n, extra in enumerate([{}, {"DOI": "10.1/x"}, {"page": "1-2"}])]
    first = [compiled.render(item) for item in items]
    assert len(compiled._shapes) == 1  # the third shape found two: they were dropped
    made = Counter(key[1] for key in compiled._memo if isinstance(key, tuple) and key[0] == "macro")
    assert made["source-DOI-URL"] == 1
    assert [compiled.render(item) for item in items] == first


_MACROS = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>t</title><id>t</id><updated>2020-01-01T00:00:00+00:00</updated></info>
  <macro name="a"><text macro="b"/></macro>
  <macro name="b"><text variable="title"/><text macro="a"/></macro>
  <macro name="c"><choose><if type="book"><text variable="page-first"/></if>
    <else-if is-numeric="volume"><text variable="volume" form="short"/></else-if></choose><text macro="d"/></macro>
  <macro name="d"><names variable="author editor"><name/></names></macro>
  <macro name="e"><text macro="a"/></macro>
  <citation><layout><text macro="c"/></layout></citation>
  <bibliography><layout><text macro="c"/></layout></bibliography>
</style>"""


def test_what_a_macro_depends_on(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from citeproc import CitationStylesStyle

    from library.export.csl_compiled import _macro_depends

    path = tmp_path / "macros.csl"
    path.write_text(_MACROS, encoding="utf-8")
    depends = _macro_depends(CitationStylesStyle(str(path), validate=False).root)
    assert depends["a"] is None  # calls itself through b: never shared
    assert depends["b"] is None
    assert depends["e"] is None  # calls a, which calls itself
    c = depends["c"]
    assert c is not None
    uses_type, variables, numbers = c
    assert uses_type and numbers == {"volume"}
    assert {"page_first", "page", "volume", "volume_short", "author", "editor"} <= variables
    assert "title" not in variables
    assert depends["d"] == (False, frozenset({"author", "author_short", "editor", "editor_short"}), frozenset())


# --- citeproc-py's string arithmetic ----------------------------------------------------------------------------

_PIECE = st.text(alphabet=st.sampled_from(list(" .,;:!?ab\u201d\u2019\ue010\ue011\"'")), max_size=5)


def _citeproc(value: str, rich: bool) -> object:
    return String(value) if rich else value


@settings(max_examples=150, deadline=None)
@given(_PIECE, _PIECE, st.booleans(), st.booleans())
def test_cat_is_citeproc_addition(left: str, right: str, left_rich: bool, right_rich: bool) -> None:
    """``cat`` joins like Python's ``+`` between citeproc-py's String/MixedString and plain str (patched seam)."""
    import library.export.citeproc  # noqa: F401 (installs the fixes)

    expected = _citeproc(left, left_rich) + _citeproc(right, right_rich)  # type: ignore[operator]
    got = cat(Rich(left) if left_rich else left, Rich(right) if right_rich else right)
    assert str(got) == str(expected)
    assert isinstance(got, Rich) == isinstance(expected, (String, MixedString))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_PIECE.filter(bool), st.booleans()), min_size=1, max_size=4),
       st.sampled_from([", ", ". ", "; ", " ", "", ":", ","]))
def test_join_is_citeproc_join(items: list[tuple[str, bool]], delimiter: str) -> None:
    from citeproc import string as citeproc_string

    from library.export.citeproc_fixes import punctuation_in_quote

    with punctuation_in_quote(True):
        expected = citeproc_string.join([_citeproc(text, rich) for text, rich in items], delimiter)
        got = join([Rich(text) if rich else text for text, rich in items], delimiter, True)
    assert str(got) == str(expected)


# the shortcuts of the compiled joins and affixes (plain concatenation where no seam, sentence end or closing quote
# can change anything) against the step-by-step reference, on text made of exactly the characters that matter
_EDGY = st.text(alphabet=st.sampled_from(list(" .,;:!?ab()&\u2013\n\u201c\u201d\u2019\"'\ue010\ue011\ue01f")),
                max_size=7)
_STRING = st.tuples(_EDGY, st.booleans()).map(lambda pair: Rich(pair[0]) if pair[1] else pair[0])
_DELIMITERS = ["", ", ", ". ", ".", ",", " ", "; ", ": ", " & ", "\u2013", "..", ". .", ",,", "? ", ".,", ". ("]


def _same(got: object, expected: object) -> None:
    assert got == expected and type(got) is type(expected), (got, expected)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(st.lists(_STRING, min_size=1, max_size=4), st.sampled_from(_DELIMITERS), st.booleans(), st.booleans())
def test_fast_join_is_the_reference_join(items: list[str], delimiter: str, rich: bool, piq: bool) -> None:
    shaped = Rich(delimiter) if rich else delimiter
    _same(joiner(shaped, piq)(list(items)), joiner_reference(shaped, piq)(list(items)))


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(st.one_of(st.none(), _STRING), st.sampled_from([*_DELIMITERS, "(", ")", "doi:"]),
       st.sampled_from([*_DELIMITERS, "(", ")", ")."]), st.booleans())
def test_fast_affixes_are_the_reference_wrap(text: str | None, prefix: str, suffix: str, piq: bool) -> None:
    _same(affixer(prefix, suffix, piq)(text), wrap_reference(prefix, suffix, piq, text))


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(_STRING, _STRING)
def test_append_is_cat_after_seam(left: str, right: str) -> None:
    _same(append(left, right), cat(left, seam(left, right)))


_ENDINGS = ["", "a", "a.", "a?", "a:", "a,", "a ", "\u201ca\u201d", "\u2018a\u2019", "a.\ue011", "\u201ca\u201d\ue011",
            "a\n", ".", ",", " a", ".a", "(a)", "a\u2013"]


def test_fast_join_and_affixes_on_every_pair_of_edge_cases() -> None:
    """Every pair of short texts ending (and starting) with what a seam, a sentence end or a quote looks at, in
    both kinds, with every delimiter and affix: the shortcuts give what the step-by-step reference gives."""
    texts = [kind(t) for t in _ENDINGS for kind in (str, Rich)]
    for delimiter in [*_DELIMITERS, Rich(", "), Rich(". "), Rich("\u2013"), Rich("")]:
        for piq in (True, False):
            join_fast, join_reference = joiner(delimiter, piq), joiner_reference(delimiter, piq)
            wrap = affixer(str(delimiter), str(delimiter).strip() or ")", piq)
            for left in texts:
                _same(wrap(left), wrap_reference(str(delimiter), str(delimiter).strip() or ")", piq, left))
                for right in texts:
                    _same(join_fast([left, right]), join_reference([left, right]))
    for left in texts:
        for right in texts:
            _same(append(left, right), cat(left, seam(left, right)))


_TAIL = st.text(alphabet=list("a.?!:, \n\u201d\u2019\ue010\ue011\ue012"), max_size=8)


@settings(max_examples=400, deadline=None)
@given(_TAIL)
def test_sentence_end_and_quote_start_are_the_regexes(text: str) -> None:
    """The regex-free tests of citeproc_fixes' patterns (a sentence's end, closing quotes before the end) agree
    with the patterns themselves, ``$`` before a final newline included."""
    import re

    stop = re.compile("(?<!\\.)[.?!][\ue000-\ue01f]*$")
    into_quote = re.compile("([\u201d\u2019]+)([\ue000-\ue01f]*)$")
    assert ends_sentence(text) == bool(stop.search(text))
    match = into_quote.search(text)
    assert quote_start(text) == (match.start() if match else -1)
    for sample in ("Med.", "Med..", "a?\ue011", "x.\n", "\u201cQ\u201d\ue011", "\u201d", ".", ""):
        assert ends_sentence(sample) == bool(stop.search(sample))
        match = into_quote.search(sample)
        assert quote_start(sample) == (match.start() if match else -1)


# --- generated records --------------------------------------------------------------------------------------------

_FAMILY = st.sampled_from(["Smith", "van Rijswijk", "de la Cruz", "O'Brien", "Maheux-Lacroix", "Müller", "王",
                           "García Márquez", "d'Alembert", "von der Heide", "Ng", "Øster", "Smith Jr", "Li"])
_GIVEN = st.sampled_from(["", "John", "J.", "JM", "Jean-Pierre", "Min-jun", "Ben W. J.", "John 3rd",
                          "Joseph M., Jr.", "W.-K.", "K", "Ana María", "小明", "de Q. M. F.", "Jr", "A"])
_TITLE = st.sampled_from([
    "Oil-based versus water-based contrast: a randomized trial",
    "Does tubal flushing work?", "\"Living on the edge\": outcomes after HSG", "Why 'ALTS' matters!",
    "Publication:", "The FLUSH trial\u2013flushing with lipiodol", "meta-analysis of RCTs.", "Ωmega σ ΣΑΣ study",
    "Title with <i>italics</i> & ampersand", "A study of the \u201cbest\u201d practice in IVF", "x",
    "Effect of A on B. Part 2", "COVID-19 and pregnancy: a cohort", "über die Sonographie"])
_PAGES = st.sampled_from(["", "2043--2052", "153--160.e3", "e0193972", "CD003718", "1--17", "768--782",
                          "S109--S112", "749--753; discussion 754", "259A--260A", "2297--2108", "12", "1305--11",
                          "5--", "xv, 1055"])
_NUMBER = st.sampled_from(["", "1", "12", "3 Suppl 2", "Pt 1", "2-3", "A", "376"])


@st.composite
def _records(draw: st.DrawFn) -> list[Record]:
    out = []
    for n in range(draw(st.integers(1, 3))):
        count = draw(st.sampled_from([0, 1, 2, 3, 6, 7, 8, 20, 21, 22]))
        authors = [Author(family=draw(_FAMILY), given=draw(_GIVEN)) for _ in range(count)]
        if count and draw(st.booleans()):
            authors[0] = Author(literal=draw(st.sampled_from(["WHO Collaborative Group", "The FLUSH Group"])))
        record = Record(
            key=f"r{n}", entry_type=draw(st.sampled_from(["article", "article", "book", "inproceedings", "misc"])),
            authors=authors, title=draw(_TITLE), journal=draw(st.sampled_from(["", "Fertil Steril", "Hum. Reprod.",
                                                                               "Lancet [England]"])),
            journal_abbrev=draw(st.sampled_from(["", "Fertil Steril"])),
            year=draw(st.sampled_from([None, 1999, 2020])), month=draw(st.sampled_from(["", "jun", "9"])),
            volume=draw(_NUMBER), issue=draw(_NUMBER), pages=draw(_PAGES),
            doi=draw(st.sampled_from(["", "10.1000/xyz.1"])), pmid=draw(st.sampled_from(["", "12345678"])),
            url=draw(st.sampled_from(["", "https://example.org/a"])),
            urldate=draw(st.sampled_from(["", "2021-03-04"])), language=draw(st.sampled_from(["", "eng", "ger"])),
            publisher=draw(st.sampled_from(["", "Springer"])))
        out.append(record)
    return out


@pytest.mark.slow  # about a minute
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records())
def test_generated_records_are_identical(records: list[Record]) -> None:
    _assert_same(records, "html")
    for style in ("apa", "mla"):
        assert format_bibliography(records, style) == format_bibliography(records, style, engine="citeproc")


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records())
def test_generated_records_are_identical_sample(records: list[Record]) -> None:
    _assert_same(records, "text")
