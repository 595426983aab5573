"""The study page's fast split of flattened structured abstracts ("... birth. RESULTS: ...") equals the
look-behind regex it replaced (library.study_view.split_inline_labels)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from library.study_view import abstract_sections, split_inline_labels

REFERENCE = re.compile(r"(?:(?<=^)|(?<=[.!?]\s))(?P<label>[A-Z][A-Z /&,-]{2,60}[A-Z]):\s+")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=list("ABCD xy.!?:,-/&\u2003\n"), max_size=40))
def test_split_inline_labels_is_the_regex_split(text: str) -> None:
    assert split_inline_labels(text) == REFERENCE.split(text)


def test_split_inline_labels_examples() -> None:
    for sample in ("RESULTS: a. METHODS: b", "X. AB: c", "A.  ABC: d", "ABC DEF. GHI: x", "x.ABC: y", ""):
        assert split_inline_labels(sample) == REFERENCE.split(sample)
    assert abstract_sections("Background text. RESULTS: it worked. CONCLUSIONS: good.") == [
        ("", "Background text."), ("RESULTS", "it worked."), ("CONCLUSIONS", "good.")]
