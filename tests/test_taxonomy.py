"""The topic taxonomy: the bundled file, validation errors with lines, lookups, question inheritance."""

from __future__ import annotations

import importlib.util
import textwrap

import pytest

from library import Library
from library.evidence.patterns import compile_pattern
from library.evidence.taxonomy import (
    Taxonomy,
    TaxonomyError,
    UnknownTopicError,
    default_taxonomy_path,
    find_taxonomy,
    load_taxonomy,
    parse_taxonomy,
)
from library.evidence.tomlfile import TableLocator

from .conftest import REFERENCES, ROOT

CATEGORIES = ["Endometriosis", "Infertility", "PCOS", "Pregnancy", "Menstrual Cycle", "Diagnostics", "Contraception",
              "NaProTECHNOLOGY", "Fertility Awareness", "Surgery", "RRM Methods", "Body Literacy",
              "Perimenopause/Menopause", "Bone Health", "Andrology", "Postpartum"]


@pytest.fixture(scope="module")
def bundled() -> Taxonomy:
    return load_taxonomy(default_taxonomy_path())


def _convert_seeds_topics() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("convert_seeds", ROOT / "tools" / "convert_seeds.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TOPICS


def parse(text: str) -> Taxonomy:
    return parse_taxonomy(textwrap.dedent(text), "tax.toml")


def errors(text: str) -> list[str]:
    with pytest.raises(TaxonomyError) as info:
        parse(text)
    return [str(p) for p in info.value.problems]


# --- the bundled taxonomy ---------------------------------------------------------------------------------
def test_bundled_taxonomy_has_the_16_categories_in_order(bundled):
    assert [t.name for t in bundled.roots()] == CATEGORIES


def test_every_initial_seed_topic_exists(bundled):
    """tools/convert_seeds.py mapped the seed tags to these paths: the taxonomy must keep all of them."""
    for path in _convert_seeds_topics().values():
        assert path in bundled, path


def test_every_topic_in_references_bib_exists(bundled):
    lib = Library.load(REFERENCES, use_cache=False)
    used = {t for r in lib.records() for t in [*r.topics, *r.topics_auto]}
    assert used and not [t for t in used if t not in bundled]


def test_hsg_area_named_in_the_issue_is_covered(bundled):
    for path in ("Diagnostics > Tubal patency > SIS vs HSG", "Diagnostics > Tubal patency > HyCoSy and HyFoSy",
                 "Diagnostics > Tubal patency > Laparoscopy with chromopertubation",
                 "Diagnostics > Tubal patency > HSG > Diagnostic accuracy",
                 "Diagnostics > Tubal patency > HSG > Radiation exposure",
                 "Diagnostics > Tubal patency > HSG > Contrast media",
                 "Infertility > Tubal factor > Tubal flushing", "Surgery > Tubal catheterization",
                 "Diagnostics > Hysteroscopy"):
        assert path in bundled


def test_questions_are_inherited_and_overridden(bundled):
    assert bundled.question_of("Diagnostics > Tubal patency > SIS vs HSG") == "diagnosis"
    assert bundled.question_of("Diagnostics > Tubal patency > HSG > Contrast media") == "therapy"
    assert bundled.question_of("Diagnostics > Tubal patency > HSG > Radiation exposure") == "harm"
    assert bundled.question_of("Surgery > Tubal catheterization > Selective salpingography") == "therapy"
    assert bundled.question_of("Endometriosis") == ""
    assert bundled.question_of("Not > A topic") == ""


def test_question_for_takes_the_majority_then_the_first(bundled):
    sis, pain = "Diagnostics > Tubal patency > SIS vs HSG", "Diagnostics > Tubal patency > HSG > Pain and tolerability"
    hycosy = "Diagnostics > Tubal patency > HyCoSy and HyFoSy"
    assert bundled.question_for([pain, sis, hycosy]) == "diagnosis"
    assert bundled.question_for([pain, sis]) == "harm"
    assert bundled.question_for(["Endometriosis"]) == ""


# --- lookups -------------------------------------------------------------------------------------------------
def test_resolve_by_path_id_and_unique_name(bundled):
    target = "Diagnostics > Tubal patency > HSG > Contrast media"
    assert bundled.resolve("diagnostics > tubal patency > hsg > contrast media").path == target
    assert bundled.resolve("hsg-contrast").path == target
    assert bundled.resolve("Contrast Media").path == target


def test_resolve_unknown_suggests(bundled):
    with pytest.raises(UnknownTopicError, match=r"unknown topic 'Hysteroscopie'.*did you mean 'Diagnostics > Hysteroscopy'"):
        bundled.resolve("Hysteroscopie")


def test_resolve_ambiguous_name_lists_paths():
    tax = parse("""
        [[topic]]
        id = "a"
        name = "A"
        [[topic]]
        id = "b"
        name = "B"
        [[topic]]
        id = "a-x"
        name = "X"
        parent = "a"
        [[topic]]
        id = "b-x"
        name = "X"
        parent = "b"
    """)
    with pytest.raises(UnknownTopicError, match=r"ambiguous: A > X; B > X"):
        tax.resolve("x")


def test_tree_and_order(bundled):
    tree = bundled.tree()
    diagnostics = next(n for n in tree if n["name"] == "Diagnostics")
    patency = next(n for n in diagnostics["children"] if n["name"] == "Tubal patency")
    assert patency["path"] == "Diagnostics > Tubal patency" and patency["question"] == "diagnosis"
    assert "HSG" in [c["name"] for c in patency["children"]]
    paths = bundled.paths()
    assert paths.index("Diagnostics") < paths.index("Diagnostics > Tubal patency") < paths.index(
        "Diagnostics > Tubal patency > HSG > Contrast media") < paths.index("Contraception")


def test_children_may_come_before_parents_in_the_file():
    tax = parse("""
        [[topic]]
        id = "child"
        name = "Child"
        parent = "root"
        [[topic]]
        id = "root"
        name = "Root"
    """)
    assert tax.paths() == ["Root", "Root > Child"]


# --- errors with lines ---------------------------------------------------------------------------------------
def test_syntax_error_names_file_and_line():
    assert errors("""
        [[topic]]
        id = "a"
        name = "A
    """) == ["tax.toml:4: TOML syntax error: Illegal character '\\n'"]


def test_duplicate_id_points_at_the_second():
    assert errors("""
        [[topic]]
        id = "a"
        name = "A"

        [[topic]]
        id = "a"
        name = "Again"
    """) == ["tax.toml:7: duplicate topic id 'a' (first at line 3)"]


def test_unknown_parent_points_at_the_parent_line():
    assert errors("""
        [[topic]]
        id = "a"
        name = "A"
        parent = "nope"
    """) == ["tax.toml:5: topic 'a' has unknown parent 'nope'"]


def test_cycle_is_reported_once_with_its_members():
    problems = errors("""
        [[topic]]
        id = "a"
        name = "A"
        parent = "c"

        [[topic]]
        id = "b"
        name = "B"
        parent = "a"

        [[topic]]
        id = "c"
        name = "C"
        parent = "b"

        [[topic]]
        id = "ok"
        name = "Fine"
    """)
    assert problems == ["tax.toml:5: parent cycle: a -> c -> b -> a"]


def test_self_parent_is_a_cycle():
    assert errors("""
        [[topic]]
        id = "a"
        name = "A"
        parent = "a"
    """) == ["tax.toml:5: parent cycle: a -> a"]


def test_duplicate_path_among_siblings():
    assert errors("""
        [[topic]]
        id = "a"
        name = "A"
        [[topic]]
        id = "b"
        name = "a"
    """) == ["tax.toml:6: duplicate topic path 'a' (topics 'a' and 'b')"]


def test_field_errors_each_with_its_line():
    problems = errors("""
        [[topic]]
        id = "a"
        name = "A > B"

        [[topic]]
        id = "b"
        name = "B"
        question = "treatment"
        pattern = ['x']
        patterns = ['(unclosed']

        [[topic]]
        id = "Bad Id"
        name = "C"
    """)
    assert problems[0] == "tax.toml:4: topic 'a' needs a name without '>', ';' or ','"
    assert problems[1] == "tax.toml:9: question of 'b' must be one of therapy, diagnosis, prognosis, harm, screening"
    assert problems[2] == "tax.toml:10: unknown key 'pattern' (did you mean 'patterns'?)"
    assert problems[3].startswith("tax.toml:11: bad regular expression '(unclosed' in patterns of 'b'")
    assert problems[4].startswith("tax.toml:14: topic needs an id of lowercase letters")


def test_unknown_top_level_key():
    assert errors("""
        topics = 1
    """) == ["tax.toml: unknown top-level key 'topics' (topics go in [[topic]] tables)"]


def test_error_message_of_the_exception_lists_all(tmp_path):
    path = tmp_path / "taxonomy.toml"
    path.write_text('[[topic]]\nid = "a"\nname = "A"\nparent = "x"\n[[topic]]\nid = "a"\nname = "B"\n')
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    assert str(info.value).splitlines() == [f"{path}:4: topic 'a' has unknown parent 'x'",
                                            f"{path}:6: duplicate topic id 'a' (first at line 2)"]


def test_missing_file(tmp_path):
    with pytest.raises(TaxonomyError, match="no such file"):
        load_taxonomy(tmp_path / "none.toml")


# --- which file applies -----------------------------------------------------------------------------------
def test_find_taxonomy_env_beside_bundled(tmp_path, monkeypatch):
    monkeypatch.delenv("REFLIB_TAXONOMY", raising=False)
    bib = tmp_path / "lib.bib"
    bib.write_text("")
    assert find_taxonomy(bib) == default_taxonomy_path()
    (tmp_path / "taxonomy.toml").write_text("")
    assert find_taxonomy(bib) == tmp_path / "taxonomy.toml"
    monkeypatch.setenv("REFLIB_TAXONOMY", str(tmp_path / "other.toml"))
    assert find_taxonomy(bib) == tmp_path / "other.toml"


# --- helpers ---------------------------------------------------------------------------------------------
def test_table_locator_skips_comments_and_other_tables():
    text = '# [[topic]] in a comment\nx = 1\n\n[[topic]]  # first\nid = "a"\n  name = "A"\n[other]\nid = 2\n[[topic]]\n'
    where = TableLocator(text, "topic")
    assert (where.item_line(0), where.key_line(0, "name"), where.item_line(1)) == (4, 6, 9)
    assert where.key_line(1, "id") == 9  # not found in the item: its header line
    assert where.key_line(5, "id") == 0


@pytest.mark.parametrize("pattern", [r"\bhsg\b", r"\bHSG\b", r"(?<!dye )hydrotubation", r"\bpain(ful)?\b",
                                     r"(?=tubal)tubal patency", r"tub(al|e)\b", r"\Bosy\b"])
@pytest.mark.parametrize("text", ["HSG and pain", "the hsgx test", "dye hydrotubation", "hydrotubation alone",
                                  "painful tubal patency", "hycosy", "tube"])
def test_prefiltered_patterns_match_exactly_like_re(pattern, text):
    import re

    expected = re.search(pattern, text, re.IGNORECASE)
    got = compile_pattern(pattern).search(text.lower())
    assert (got is None) == (expected is None)


def _span(match):  # type: ignore[no-untyped-def]
    return None if match is None else (match.start(), match.end(), match.group(0))


@pytest.mark.parametrize("pattern", [r"a|\bb", r"x(a|b)|[|]y|\bz", r"[]|]q|r", r"[^]|]q|s", r"(?i)ab|cd", r"(a)|\1",
                                     r"\bsis\b|analysis", r"analysis|\bsis\b", r"(?<!dye )tub|\btuba", r"\bab|a"])
def test_alternatives_and_anchored_tries_give_re_s_match(pattern):
    import re

    texts = ["", "a b z", "xb |y", "]q |q r", "the analysis sis of tuba", "dye tub tub", "cab ab", "AB cd", "aa"]
    for text in texts:
        assert _span(compile_pattern(pattern).search(text)) == _span(re.search(pattern, text)), text


def test_bundled_rules_match_exactly_like_re(bundled):
    """Every topic and design rule, on every seed's title and abstract: same start, end and text as ``re``."""
    import re

    from library.evidence import design

    lib = Library.load(REFERENCES, use_cache=False)
    texts = [t.lower() for r in lib.records() for t in (r.title, r.abstract, f"{r.title}\n{r.abstract}")]
    texts += ["sis; the sis-hsg arm", "hysterosalpingogram (hsg) vs hsg", "oil-based and water soluble"]
    patterns = [p for t in bundled.with_rules for p in (*t.rules.patterns, *t.rules.require, *t.rules.exclude)]
    patterns += [*design._TITLE.values(), *design._ABSTRACT.values()]
    assert len(patterns) > 150
    for compiled in patterns:
        flags = re.IGNORECASE if re.search(r"(?<!\\)[A-Z]", compiled.pattern) else 0
        plain = re.compile(compiled.pattern, flags)
        for text in texts:
            assert _span(compiled.search(text)) == _span(plain.search(text)), (compiled.pattern, text[:60])
