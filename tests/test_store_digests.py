"""``Library.entry_digests``: what ``reflib publish`` compares to find the records whose stored text changed."""

from __future__ import annotations

from pathlib import Path

from library import Library

TEXT = """@string{fs = {Fertility and Sterility}}

@article{a2020,
  title = {First study},
  journal = fs,
  year = {2020},
}

@article{b2021,
  title = {Second study},
  journal = {Human Reproduction},
  year = {2021},
}

@article{c2022,
  title = {Third study},
  journal = fs,
  year = {2022},
}
"""


def test_digests_follow_the_stored_text(tmp_path: Path) -> None:
    bib = tmp_path / "references.bib"
    bib.write_text(TEXT, encoding="utf-8")
    first = Library.load(bib).entry_digests()
    assert list(first) == ["a2020", "b2021", "c2022"] and len(set(first.values())) == 3
    assert Library.load(bib, use_cache=False).entry_digests() == first  # the same text: the same digests

    lib = Library.load(bib)
    record = lib.get("b2021")
    record.title = "Second study, corrected"
    lib.update(record)
    assert "b2021" not in lib.entry_digests()  # edited, not saved: no stored text yet
    lib.save()
    after_edit = Library.load(bib).entry_digests()
    assert {k for k in first if first[k] != after_edit[k]} == {"b2021"}

    # a changed @string macro changes what every entry's text means: every digest changes
    bib.write_text(bib.read_text(encoding="utf-8").replace("{Fertility and Sterility}", "{Fertil Steril}"),
                   encoding="utf-8")
    after_macro = Library.load(bib).entry_digests()
    assert all(after_macro[k] != after_edit[k] for k in after_edit)
