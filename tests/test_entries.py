"""Encyclopedia entries: the file and its errors, links (cited / discussed), and the rendered reference block."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import shutil
import textwrap

import pytest

from library import Library
from library.evidence.encyclopedia import (
    EntriesError,
    UnknownEntryError,
    default_entries_path,
    load_entries,
    parse_entries,
)
from library.evidence.links import (
    LinkError,
    add_link,
    entry_references,
    link_study,
    linked_keys,
    next_number,
    remove_links,
    unlink_study,
)
from library.evidence.render import identifier_links, render_references
from library.model import EntryLink, Record

from .conftest import FIXTURES, REFERENCES

EVIDENCE = FIXTURES / "evidence"
HSG = "hysterosalpingogram"


def errors(text: str) -> list[str]:
    with pytest.raises(EntriesError) as info:
        parse_entries(textwrap.dedent(text), "enc.toml")
    return [str(p) for p in info.value.problems]


# --- the bundled entries -----------------------------------------------------------------------------------
def test_bundled_entries_start_with_hsg_and_the_entries_it_implies():
    entries = load_entries(default_entries_path())
    assert entries.slugs() == [HSG, "saline-infusion-sonography", "diagnostic-laparoscopy",
                               "selective-salpingography", "hysteroscopy"]
    hsg = entries.resolve(HSG)
    assert hsg.title == "Hysterosalpingogram (HSG)" and hsg.status == "published"
    assert "tubal spasm" in hsg.summary and set(hsg.related) == set(entries.slugs()[1:])
    assert all(entries.resolve(s).status == "planned" for s in entries.slugs()[1:])
    assert len(hsg.pending) == 2


def test_references_bib_is_linked_as_the_encyclopedia_shows():
    lib = Library.load(REFERENCES, use_cache=False)
    refs = entry_references(lib, HSG, load_entries(default_entries_path()))
    assert [(n, r.key) for n, r in refs.cited] == [(1, "acog2020co800")]
    assert {r.key for r in refs.discussed} == {"dreyer2017oil", "karande1997radiation", "beverley2019salineair"}
    linked = {r.key for r in lib.records() if r.links}
    assert linked == {"acog2020co800", "dreyer2017oil", "karande1997radiation", "beverley2019salineair"}


# --- file errors --------------------------------------------------------------------------------------------
def test_syntax_error_with_line():
    assert errors("""
        [[entry]]
        slug = "a"
        title = "A"
        title = "B"
    """) == ["enc.toml:5: TOML syntax error: Cannot overwrite a value"]


def test_duplicate_slug_and_unknown_related_with_lines():
    assert errors("""
        [[entry]]
        slug = "a"
        title = "A"
        related = ["b", "nope"]

        [[entry]]
        slug = "b"
        title = "B"

        [[entry]]
        slug = "a"
        title = "Again"
    """) == ["enc.toml:5: entry 'a' names unknown related entry 'nope'",
             "enc.toml:12: duplicate entry slug 'a' (first at line 3)"]


def test_field_errors():
    assert errors("""
        [[entry]]
        slug = "Bad slug"

        [[entry]]
        slug = "x"
        status = "live"
        sumary = "typo"
        topics = "Diagnostics"
    """) == ["enc.toml:3: entry needs a slug of lowercase letters, digits and hyphens",
             "enc.toml:5: entry 'x' needs a title",
             "enc.toml:7: status of 'x' must be one of published, draft, planned",
             "enc.toml:8: unknown key 'sumary' (did you mean 'summary'?)",
             "enc.toml:9: topics of 'x' must be a list of strings"]


def test_base_url_and_resolve():
    entries = parse_entries('base_url = "https://e.org/wiki/"\n[[entry]]\nslug = "hsg"\ntitle = "HSG"\n'
                            '[[entry]]\nslug = "sis"\ntitle = "SIS"\nurl = "https://other.org/sis"\n')
    assert entries.resolve("hsg").url == "https://e.org/wiki/hsg"
    assert entries.resolve("sis").url == "https://other.org/sis"
    with pytest.raises(UnknownEntryError, match="unknown encyclopedia entry 'hgs'.*did you mean 'hsg'"):
        entries.resolve("hgs")


# --- links: pure functions ----------------------------------------------------------------------------------
def test_add_and_remove_links():
    record = Record(key="k")
    cited = add_link(record, HSG, "cited", 2)
    assert cited.links == [EntryLink(HSG, "cited", 2)] and record.links == []
    assert add_link(cited, HSG, "cited").links == cited.links  # no number: keeps the one it has
    moved = add_link(add_link(cited, HSG, "discussed"), HSG, "cited", 5)
    assert moved.links == [EntryLink(HSG, "cited", 5), EntryLink(HSG, "discussed")]
    left, removed = remove_links(moved, HSG, "discussed")
    assert left.links == [EntryLink(HSG, "cited", 5)] and removed == [EntryLink(HSG, "discussed")]
    with pytest.raises(LinkError, match="kind must be one of cited, discussed"):
        add_link(record, HSG, "mentioned")
    with pytest.raises(LinkError, match="only citations have numbers"):
        add_link(record, HSG, "discussed", 1)


# --- links in a library ------------------------------------------------------------------------------------
@pytest.fixture
def lib(tmp_path) -> Library:
    for name in ("entry.bib", "encyclopedia.toml"):
        shutil.copyfile(EVIDENCE / name, tmp_path / name)
    return Library.load(tmp_path / "entry.bib")


def test_link_numbers_and_conflicts(lib):
    entries = load_entries(lib.path.parent / "encyclopedia.toml")
    assert next_number(lib, HSG) == 4  # cited #1 and #3 exist
    assert link_study(lib, "dreyer2017oil", HSG, "cited", entries=entries) == EntryLink(HSG, "cited", 4)
    with pytest.raises(LinkError, match=r"citation #1 of 'hysterosalpingogram' is already 'acog2020co800'.*"
                                        r"next free: 5"):
        link_study(lib, "karande1997radiation", HSG, "cited", 1, entries)
    with pytest.raises(UnknownEntryError):
        link_study(lib, "karande1997radiation", "nope", "cited", entries=entries)
    assert link_study(lib, "dreyer2017oil", HSG, "cited", 2) == EntryLink(HSG, "cited", 2)  # renumber itself
    assert linked_keys(lib, HSG, "cited") == ["acog2020co800", "dreyer2017oil", "swart1995accuracy"]


def test_unlink_keeps_other_numbers_and_saves_minimal_diff(lib):
    before = lib.path.read_text(encoding="utf-8")
    assert unlink_study(lib, "acog2020co800", HSG) == [EntryLink(HSG, "cited", 1)]
    with pytest.raises(LinkError, match="'acog2020co800' is not linked to 'hysterosalpingogram'"):
        unlink_study(lib, "acog2020co800", HSG)
    lib.save()
    after = lib.path.read_text(encoding="utf-8")
    diff = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert diff == ["-  cited_in     = {hysterosalpingogram#1},", "-  added        = {2026-11-25}",
                    "+  added        = {2026-11-25},", f"+  modified     = {{{dt.date.today().isoformat()}}}"]
    refs = entry_references(Library.load(lib.path), HSG)
    assert [(n, r.key) for n, r in refs.cited] == [(3, "swart1995accuracy")]


# --- rendering ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["md", "html", "json", "text"])
def test_reference_block_golden(fmt):
    """Golden files are real `reflib --bib tests/fixtures/evidence/entry.bib entry show hysterosalpingogram`
    outputs, checked by hand (regenerate them the same way when the layout or the citation style changes)."""
    lib = Library.load(EVIDENCE / "entry.bib", use_cache=False)
    refs = entry_references(lib, HSG, load_entries(EVIDENCE / "encyclopedia.toml"))
    assert render_references(refs, fmt) == (EVIDENCE / f"hsg_entry.{fmt}").read_text(encoding="utf-8")


def test_reference_block_shape():
    lib = Library.load(EVIDENCE / "entry.bib", use_cache=False)
    data = json.loads(render_references(entry_references(lib, HSG, load_entries(EVIDENCE / "encyclopedia.toml")),
                                        "json"))
    assert [(c["number"], c["key"]) for c in data["cited"]] == [(1, "acog2020co800"), (3, "swart1995accuracy")]
    assert data["cited"][0]["citation"].startswith("American College of Obstetricians")
    assert [d["key"] for d in data["discussed"]] == ["dreyer2017oil", "karande1997radiation",
                                                     "beverley2019salineair"]  # strongest level first
    assert data["discussed"][0]["level_label"] == "Level 2 (therapy, OCEBM 2011)"
    assert data["discussed"][1]["design_label"] == "Cohort study"


def test_html_escapes_record_text_and_refuses_script_urls():
    hostile = Record(key="x<y", title='<script>alert("t")</script> & co', journal="J <b>", year=2020,
                     url="javascript:alert(1)", design="rct", authors=[],
                     links=[EntryLink(HSG, "discussed")])
    cited = Record(key="c", title="<img src=x onerror=alert(1)>", url='https://e.org/"onmouseover=x',
                   links=[EntryLink(HSG, "cited", 1)])
    from library.evidence.links import EntryReferences

    out = render_references(EntryReferences(HSG, None, [(1, cited)], [hostile]), "html")
    assert "<script>" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; co" in out
    assert 'data-key="x&lt;y"' in out
    assert "javascript:" not in out and 'href="https://e.org/"onmouseover' not in out
    md = render_references(EntryReferences(HSG, None, [], [hostile]), "md")
    assert "\\<script\\>" in md


def test_identifier_links():
    record = Record(key="k", doi="https://doi.org/10.1056/NEJMoa1612337", pmid="28520519", pmcid="pmc123",
                    url="https://example.org/x")
    assert identifier_links(record) == [("DOI", "https://doi.org/10.1056/NEJMoa1612337"),
                                        ("PubMed", "https://pubmed.ncbi.nlm.nih.gov/28520519/"),
                                        ("PMC", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC123/")]
    assert identifier_links(Record(key="k", url="https://example.org/x", doi="not a doi")) == [
        ("Link", "https://example.org/x")]


def test_a_hand_written_level_ending_in_a_superscript_is_listed_last_not_a_crash(tmp_path):
    """'²' passes str.isdigit but not int(): `entry show` and the published entry block sorted the discussed
    studies by the level's last character and failed with "unexpected error" for the whole entry."""
    from library.cli import main

    shutil.copyfile(EVIDENCE / "encyclopedia.toml", tmp_path / "encyclopedia.toml")
    bib = tmp_path / "references.bib"
    bib.write_text("@article{odd2020,\n  title = {Odd level},\n  year = {2020},\n"
                   "  level = {OCEBM2011 therapy ²},\n  discussed_in = {hysterosalpingogram}\n}\n\n"
                   "@article{good2019,\n  title = {Good level},\n  year = {2019},\n"
                   "  level = {OCEBM2011 therapy 3},\n  discussed_in = {hysterosalpingogram}\n}\n", encoding="utf-8")
    lib = Library.load(bib, use_cache=False)
    refs = entry_references(lib, HSG, load_entries(tmp_path / "encyclopedia.toml"))
    assert [r.key for r in refs.discussed] == ["good2019", "odd2020"]  # an unreadable level sorts as none
    out = tmp_path / "site"
    assert main(["--bib", str(bib), "publish", str(out)]) == 0
    data = json.loads((out / "entries" / f"{HSG}.json").read_text(encoding="utf-8"))
    assert [d["key"] for d in data["discussed"]] == ["good2019", "odd2020"]


def test_entry_show_and_the_published_block_agree_on_studies_not_yet_in_the_library(tmp_path):
    """A pending title that a study of the library now has is no longer "Not yet in the research library":
    the published block (JSON ``not_yet``) left it out while `entry show` still listed it."""
    from library.cli import main

    entries = load_entries(default_entries_path())
    pending = entries.get(HSG).pending
    bib = tmp_path / "references.bib"
    text = REFERENCES.read_text(encoding="utf-8")
    old = "Evaluation of Tubal Patency with a Saline-Air Device: Can We Move Back to the Office?"
    assert old in text
    bib.write_text(text.replace(old, pending[0].upper()), encoding="utf-8")  # the title as the library has it
    refs = entry_references(Library.load(bib, use_cache=False), HSG, entries)
    shown = json.loads(render_references(refs, "json"))["pending"]
    assert shown == list(pending[1:])
    assert pending[0] not in render_references(refs, "md") and pending[1] in render_references(refs, "md")
    assert main(["--bib", str(bib), "publish", str(tmp_path / "site")]) == 0
    published = json.loads((tmp_path / "site" / "entries" / f"{HSG}.json").read_text(encoding="utf-8"))
    assert published["not_yet"] == shown


def test_a_slug_with_surrounding_spaces_links_to_the_entry_not_beside_it(lib):
    """The entries file resolves ' hysterosalpingogram ' (pasted, quoted in a shell) to the entry, but the link
    was made with the spaces: the taken numbers were looked up under the spaced slug (none), so the new citation
    got #1 beside the entry's #1, and was stored as '{ hysterosalpingogram #1}'."""
    entries = load_entries(lib.path.parent / "encyclopedia.toml")
    assert link_study(lib, "dreyer2017oil", f" {HSG} ", "cited", entries=entries) == EntryLink(HSG, "cited", 4)
    with pytest.raises(LinkError, match="citation #1 of 'hysterosalpingogram' is already 'acog2020co800'"):
        link_study(lib, "karande1997radiation", f"{HSG} ", "cited", 1, entries)
    assert link_study(lib, "karande1997radiation", f"{HSG}\t", "discussed", entries=entries).slug == HSG
    lib.save()
    stored = Library.load(lib.path)
    assert stored.get("dreyer2017oil").cited_in() == [EntryLink(HSG, "cited", 4)]
    refs = entry_references(stored, f"{HSG} ", entries)  # `entry show` showed the entry with empty lists
    assert [n for n, _ in refs.cited] == [1, 3, 4] and "karande1997radiation" in [r.key for r in refs.discussed]
    assert unlink_study(stored, "dreyer2017oil", f" {HSG}", "cited") == [EntryLink(HSG, "cited", 4)]


def test_html_lists_a_citation_without_a_number_apart_not_under_a_made_up_number():
    """An unnumbered citation inside the <ol> got the browser's next number ("4."), which no superscript of the
    entry's text has: it is listed after the numbered list, in a list of its own with a note."""
    from library.evidence.links import EntryReferences

    first = Record(key="first", title="First study", year=2001, links=[EntryLink(HSG, "cited", 3)])
    loose = Record(key="loose", title="Loose study", year=2002, links=[EntryLink(HSG, "cited")])
    out = render_references(EntryReferences(HSG, None, [(3, first), (None, loose)], []), "html")
    numbered, _, rest = out.partition("</ol>")
    assert 'data-key="first"' in numbered and 'value="3"' in numbered and "loose" not in numbered
    assert rest.index('<p class="unnumbered">') < rest.index('<ul class="unnumbered">') < rest.index('data-key="loose"')
    assert "-ref-0" not in out  # no made-up anchor either
    alone = render_references(EntryReferences(HSG, None, [(None, loose)], []), "html")
    assert "<ol>" not in alone and '<ul class="unnumbered">' in alone


def test_retracted_cited_and_discussed_studies_are_marked_in_every_format():
    """Only the JSON said "retracted": md, text and html cited or discussed a retracted study without a word."""
    from library.evidence.links import EntryReferences

    gone = Record(key="gone", title="Withdrawn <b>results</b>", year=2019, retracted=True,
                  links=[EntryLink(HSG, "cited", 1)])
    fine = Record(key="fine", title="Sound study", year=2020, links=[EntryLink(HSG, "cited", 2)])
    talked = Record(key="talked", title="Discussed withdrawn study", year=2018, retracted=True, design="rct",
                    links=[EntryLink(HSG, "discussed")])
    refs = EntryReferences(HSG, None, [(1, gone), (2, fine)], [talked])
    md = render_references(refs, "md").splitlines()
    assert next(line for line in md if "Withdrawn" in line).startswith("1. **Retracted.** Withdrawn \\<b\\>")
    assert next(line for line in md if "Sound study" in line).startswith("2. Sound study")
    assert next(line for line in md if "Discussed withdrawn" in line).startswith("- **Retracted.** Discussed")
    text = render_references(refs, "text").splitlines()
    assert next(line for line in text if "Withdrawn" in line).startswith("1. [Retracted] Withdrawn <b>results</b>")
    assert next(line for line in text if "Discussed withdrawn" in line).startswith("- [Retracted] Discussed")
    assert not any("Retracted" in line for line in text if "Sound study" in line)
    html = render_references(refs, "html")
    gone_li = next(line for line in html.splitlines() if 'data-key="gone"' in line)
    assert '<strong class="retracted">Retracted.</strong> Withdrawn &lt;b&gt;results&lt;/b&gt;' in gone_li
    assert next(line for line in html.splitlines() if 'data-key="talked"' in line).count("Retracted.") == 1
    assert "Retracted" not in next(line for line in html.splitlines() if 'data-key="fine"' in line)
    data = json.loads(render_references(refs, "json"))
    assert [c["retracted"] for c in data["cited"]] == [True, False] and data["discussed"][0]["retracted"] is True
