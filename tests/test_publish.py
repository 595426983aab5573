"""``reflib publish``: the static site read by real consumers (html5lib strict, feedparser, PyLD, Highwire tags
as Zotero reads them), escaping of hostile records, editorial rules, stable slugs and incremental writes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import feedparser
import html5lib
import pytest
from pyld import jsonld

from library import Library
from library.evidence.encyclopedia import load_entries
from library.export.parts import page_range
from library.publish import PublishConfig, parse_config, publish_site
from library.publish.config import PublishConfigError
from library.publish.slugs import is_slug, make_unique, slugify

from .conftest import REFERENCES, ROOT

HOSTILE = """
@article{xss2024,
  author       = {Mallory, Eve and {<b>Injected</b> Group}},
  title        = {<img src=x onerror=alert(1)> and <script>alert(2)</script>},
  journal      = {Journal of <script>alert(3)</script> Studies},
  year         = {2024},
  url          = {javascript:alert(4)},
  doi          = {10.1000/"onmouseover=alert(5)},
  abstract     = {BACKGROUND: [click me](javascript:alert(6)). RESULTS: <iframe src=x></iframe>},
  design       = {rct},
  stance       = {hostile},
  topics       = {Diagnostics > Tubal patency > HSG},
  discussed_in = {hysterosalpingogram},
  unverified   = {none}
}
"""


def _site(tmp_path: Path, config: PublishConfig | None = None, extra: str = HOSTILE) -> tuple[Path, Path]:
    bib = tmp_path / "references.bib"
    bib.write_text(REFERENCES.read_text(encoding="utf-8") + extra, encoding="utf-8")
    out = tmp_path / "site"
    publish_site(Library.load(bib), out, load_entries(ROOT / "encyclopedia.toml"),
                 config or PublishConfig(base_url="https://example.org/rl/", browse_exclude_stances=("hostile",)))
    return bib, out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _site(tmp_path_factory.mktemp("publish"))


def _pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if ".reflib-publish" not in p.parts)


def test_every_page_is_valid_html5(site: tuple[Path, Path]) -> None:
    _, out = site
    pages = _pages(out)
    assert len(pages) > 40
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for path in pages:
        text = path.read_text(encoding="utf-8")
        if path.name.endswith(".fragment.html"):
            parser.parseFragment(text)
        else:
            parser.parse(text)


def test_feeds_parse_as_rss2_and_atom(site: tuple[Path, Path]) -> None:
    _, out = site
    feeds = sorted(out.rglob("*.rss.xml")) + sorted(out.rglob("*.atom.xml"))
    assert len(feeds) > 6
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version == ("rss20" if path.name.endswith(".rss.xml") else "atom10"), path
    main = feedparser.parse((out / "feed.rss.xml").read_bytes())
    assert len(main.entries) == 37
    assert all(e.link.startswith("https://example.org/rl/library/") for e in main.entries)
    titles = [e.title for e in main.entries]
    assert "<img src=x onerror=alert(1)> and <script>alert(2)</script>" in titles  # text, not markup
    entry = feedparser.parse((out / "entries/hysterosalpingogram.atom.xml").read_bytes())
    assert entry.version == "atom10" and len(entry.entries) >= 5


def _meta(path: Path) -> tuple[list[tuple[str, str]], list[dict[str, object]]]:
    doc = html5lib.parse(path.read_text(encoding="utf-8"), namespaceHTMLElements=False)
    metas = [(m.get("name"), m.get("content")) for m in doc.iter("meta") if (m.get("name") or "").startswith("citation_")]
    scripts = [json.loads(s.text) for s in doc.iter("script") if s.get("type") == "application/ld+json"]
    return metas, scripts


def _slug_of(bib: Path, key: str) -> str:
    return Library.load(bib).get(key).extra["slug"]


def test_highwire_tags_give_the_record(site: tuple[Path, Path]) -> None:
    bib, out = site
    lib = Library.load(bib)
    checked = 0
    for record in lib.records():
        metas, _ = _meta(out / "library" / f"{record.extra['slug']}.html")
        tags: dict[str, list[str]] = {}
        for name, value in metas:
            tags.setdefault(name, []).append(value)
        assert tags["citation_title"] == [" ".join(record.title.split())]
        assert tags.get("citation_author", []) == [a.literal or (f"{a.family}, {a.given}" if a.given else a.family)
                                                   for a in record.authors if not a.is_others]
        if record.year:
            assert tags["citation_publication_date"][0].startswith(str(record.year))
        first, last = page_range(record.pages)
        for name, value in (("citation_volume", record.volume), ("citation_issue", record.issue),
                            ("citation_firstpage", first), ("citation_lastpage", last), ("citation_doi", record.doi),
                            ("citation_pmid", record.pmid), ("citation_journal_abbrev", record.journal_abbrev)):
            assert tags.get(name, [""]) == [value], (record.key, name)
        if record.entry_type == "article":
            assert tags["citation_journal_title"] == [record.journal]
        if record.abstract:
            assert tags["citation_abstract"] == [" ".join(record.abstract.split())]
        checked += 1
    assert checked == 37


def _loader(url: str, options: object = None) -> dict[str, object]:
    """schema.org's JSON-LD context, as served at https://schema.org (its @vocab is what these terms need)."""
    assert url.rstrip("/") in ("https://schema.org", "http://schema.org")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": {"@context": {"@vocab": "https://schema.org/"}}}


def test_json_ld_expands_to_a_medical_scholarly_article(site: tuple[Path, Path]) -> None:
    bib, out = site
    lib = Library.load(bib)
    record = next(r for r in lib.records() if r.doi and r.pmid and r.volume)
    _, scripts = _meta(out / "library" / f"{record.extra['slug']}.html")
    assert len(scripts) == 1
    expanded = jsonld.expand(scripts[0], {"documentLoader": _loader})
    item = expanded[0]
    s = "https://schema.org/"
    assert item["@type"] == [s + "MedicalScholarlyArticle"]
    assert item[s + "headline"][0]["@value"] == record.title
    assert [a[s + "familyName"][0]["@value"] for a in item[s + "author"] if s + "familyName" in a] == \
        [a.family for a in record.authors if not a.literal]
    ids = {i[s + "propertyID"][0]["@value"]: i[s + "value"][0]["@value"] for i in item[s + "identifier"]}
    assert ids["DOI"] == record.doi and ids["PMID"] == record.pmid
    assert item[s + "url"][0]["@value"] == f"https://example.org/rl/library/{record.extra['slug']}.html"
    assert str(record.year) in item[s + "datePublished"][0]["@value"]


def test_hostile_record_is_text_and_links_are_safe(site: tuple[Path, Path]) -> None:
    bib, out = site
    slug = _slug_of(bib, "xss2024")
    assert is_slug(slug)
    page = (out / "library" / f"{slug}.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page and "<iframe" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    doc = html5lib.parse(page, namespaceHTMLElements=False)
    assert "alert" not in "".join(s.text or "" for s in doc.iter("script") if s.get("type") != "application/ld+json")
    for path in _pages(out):
        doc = html5lib.parse(path.read_text(encoding="utf-8"), namespaceHTMLElements=False)
        for element in doc.iter():
            for attr in ("href", "src"):
                value = (element.get(attr) or "").strip()
                if not value:
                    continue
                scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", value)
                assert scheme is None or scheme.group(1).lower() in ("http", "https"), (path, value)
        for element in doc.iter():
            assert not any(name.lower().startswith("on") for name in element.attrib), path


def test_stance_exclusion_keeps_hostile_out_of_browse_but_in_search(site: tuple[Path, Path]) -> None:
    bib, out = site
    slug = _slug_of(bib, "xss2024")
    topic = (out / "topics" / "diagnostics--tubal-patency--hsg.html").read_text(encoding="utf-8")
    assert f"{slug}.html" not in topic
    assert f"{slug}.html" not in (out / "designs" / "rct.html").read_text(encoding="utf-8")
    assert f"{slug}.html" in (out / "library" / "index.html").read_text(encoding="utf-8")
    meta = json.loads((out / "library/search/meta.json").read_text())
    docs = [d for i in range(meta["shards"]) for d in json.loads((out / f"library/search/{i}.json").read_text())]
    assert len(docs) == meta["documents"] == 37
    assert any(d[0] == slug for d in docs)
    block = json.loads((out / "entries/hysterosalpingogram.json").read_text())
    assert any(d["slug"] == slug for d in block["discussed"])  # entry blocks keep every linked study


def test_topic_parents_include_subtopics_and_counts(site: tuple[Path, Path]) -> None:
    _, out = site
    parent = (out / "topics" / "diagnostics.html").read_text(encoding="utf-8")
    child = (out / "topics" / "diagnostics--tubal-patency.html").read_text(encoding="utf-8")
    n_parent = int(re.search(r"<p>(\d+) studies", parent).group(1))
    n_child = int(re.search(r"<p>(\d+) studies", child).group(1))
    assert n_parent >= n_child > 0
    assert parent.count("<li><a href=\"../library/") == n_parent
    assert 'href="diagnostics--tubal-patency.html"' in parent


def test_entry_block_fragment_json_and_dump(site: tuple[Path, Path]) -> None:
    bib, out = site
    entries = load_entries(ROOT / "encyclopedia.toml")
    entry = entries.get("hysterosalpingogram")
    block = json.loads((out / "entries/hysterosalpingogram.json").read_text())
    lib = Library.load(bib)
    discussed = {r.key for r in lib.records() if any(lk.slug == entry.slug and lk.kind == "discussed"
                                                     for lk in r.links)}
    assert {d["key"] for d in block["discussed"]} == discussed
    titles = {r.title.casefold() for r in lib.records()}
    assert block["not_yet"] == [t for t in entry.pending if t.casefold() not in titles]
    fragment = (out / "entries/hysterosalpingogram.fragment.html").read_text()
    assert fragment.startswith('<section class="reflib-references"')
    lines = (out / "library.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 37
    assert {json.loads(line)["id"] for line in lines} == set(lib.keys())


UNNUMBERED = """
@article{loose2021,
  author       = {Loose, Lena},
  title        = {A study cited without a number},
  journal      = {Journal},
  year         = {2021},
  doi          = {10.1000/loose},
  topics       = {Diagnostics > Tubal patency > HSG},
  cited_in     = {hysterosalpingogram},
  unverified   = {none}
}
"""


def test_entry_fragment_lists_a_citation_without_a_number_after_the_numbered_list(tmp_path: Path) -> None:
    """A citation without a number inside the <ol> got the browser's next number, one the entry's text does not
    have: it is listed after the numbered list in an unnumbered one, with a note (the JSON says "number": null)."""
    _, out = _site(tmp_path, extra=UNNUMBERED)
    fragment = (out / "entries/hysterosalpingogram.fragment.html").read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parseFragment(fragment)
    numbered, _, rest = fragment.partition("</ol>")
    assert "loose" not in numbered and "<li>" not in numbered  # every numbered item has its value
    assert rest.index('<p class="unnumbered">') < rest.index('<ul class="unnumbered">') < rest.index("loose")
    block = json.loads((out / "entries/hysterosalpingogram.json").read_text(encoding="utf-8"))
    assert [c["number"] for c in block["cited"]][-1] is None


RETRACTED_LINKED = """
@article{withdrawn2018,
  author       = {Gone, Gus},
  title        = {A retracted study the entry cites},
  journal      = {Journal},
  year         = {2018},
  doi          = {10.1000/withdrawn},
  topics       = {Diagnostics > Tubal patency > HSG},
  retracted    = {yes},
  cited_in     = {hysterosalpingogram#9},
  unverified   = {none}
}

@article{withdrawn2017,
  author       = {Gone, Gail},
  title        = {A retracted study the entry discusses},
  journal      = {Journal},
  year         = {2017},
  doi          = {10.1000/withdrawn2},
  topics       = {Diagnostics > Tubal patency > HSG},
  retracted    = {yes},
  discussed_in = {hysterosalpingogram},
  unverified   = {none}
}
"""


def test_entry_fragment_and_json_mark_retracted_cited_and_discussed_studies(tmp_path: Path) -> None:
    """The study pages and lists say "Retracted"; the entry's block, which readers of the encyclopedia see, cited
    and discussed retracted studies without a word (and its JSON had no "retracted")."""
    _, out = _site(tmp_path, extra=RETRACTED_LINKED)
    fragment = (out / "entries/hysterosalpingogram.fragment.html").read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parseFragment(fragment)
    items = [line for line in fragment.splitlines() if line.startswith("<li")]
    cited = next(line for line in items if "A retracted study the entry cites" in line)
    assert cited.startswith('<li value="9"><strong class="retracted">Retracted.</strong> Gone G. A retracted')
    discussed = next(line for line in items if "A retracted study the entry discusses" in line)
    assert discussed.startswith('<li><strong class="retracted">Retracted.</strong> <a href=')
    assert sum("Retracted" in line for line in items) == 2
    block = json.loads((out / "entries/hysterosalpingogram.json").read_text(encoding="utf-8"))
    flags = {c["key"]: c["retracted"] for c in [*block["cited"], *block["discussed"]]}
    assert flags.pop("withdrawn2018") is True and flags.pop("withdrawn2017") is True
    assert flags and not any(flags.values())


def test_cite_this_four_styles_and_ris(site: tuple[Path, Path]) -> None:
    bib, out = site
    record = next(r for r in Library.load(bib).records() if r.doi and r.volume)
    page = (out / "library" / f"{record.extra['slug']}.html").read_text(encoding="utf-8")
    for style in ("apa", "vancouver", "mla", "ama"):
        assert f'id="cite-{style}"' in page
    ris = (out / "library" / f"{record.extra['slug']}.ris").read_text(encoding="utf-8")
    assert ris.startswith("TY  - ") and f"DO  - {record.doi}" in ris


OTHER_KINDS = """
@incollection{chapter2019,
  author    = {Rivera, Ana},
  editor    = {Okafor, Chidi and Lindqvist, Maja},
  title     = {Tubal factor infertility},
  booktitle = {Textbook of Reproductive Surgery},
  publisher = {Springer},
  isbn      = {978-3-030-00000-1},
  pages     = {101--120},
  year      = {2019}
}
@inproceedings{talk2018,
  author    = {Novak, Petr},
  title     = {Office tubal patency testing},
  booktitle = {Proceedings of the Annual Meeting of Reproductive Imaging},
  year      = {2018}
}
@phdthesis{thesis2020,
  author = {Hicks, Laura},
  title  = {Foam sonography for tubal patency},
  school = {Radboud University},
  year   = {2020}
}
@techreport{report2021,
  author      = {Moreau, Claire},
  title       = {Radiation dose in fluoroscopic gynaecology},
  institution = {National Radiation Protection Board},
  number      = {NRPB-W21},
  year        = {2021}
}
@article{truncated1988,
  author  = {Novy, M. J. and Thurmond, A. S. and Patton, P. and others},
  title   = {Cornual obstruction treated by transcervical catheterization},
  journal = {Fertility and Sterility},
  year    = {1988}
}
@article{spoof2023,
  author  = {Reyes, Ana and \u202eRtl, Override},
  title   = {Tubal patency \u202etset\u202c in practice},
  journal = {Fertility and Sterility},
  year    = {2023}
}
@article{markers2022,
  author   = {Tan, Wei},
  title    = {Oil contrast and live birth},
  journal  = {Fertility and Sterility},
  year     = {2022},
  volume   = {117},
  url      = {JaVaScRiPt:alert(document.domain)},
  keywords = {trial:H2Oil; outcome:live-birth; Hysterosalpingography; Infertility: female}
}
"""


def test_books_theses_reports_get_the_tags_zotero_types_them_by(tmp_path: Path) -> None:
    """Zotero's Embedded Metadata translator picks the item type from the tag present (citation_book_title ->
    book section, citation_conference_title -> conference paper, citation_dissertation_institution -> thesis,
    citation_technical_report_institution -> report) and reads the number of a report from its own tag."""
    bib, out = _site(tmp_path, extra=OTHER_KINDS)

    def tags_and_ld(key: str) -> tuple[dict[str, list[str]], dict[str, object]]:
        metas, scripts = _meta(out / "library" / f"{_slug_of(bib, key)}.html")
        tags: dict[str, list[str]] = {}
        for name, value in metas:
            tags.setdefault(name, []).append(value)
        return tags, scripts[0]

    tags, ld = tags_and_ld("chapter2019")
    assert tags["citation_inbook_title"] == tags["citation_book_title"] == ["Textbook of Reproductive Surgery"]
    assert "citation_journal_title" not in tags and tags["citation_publisher"] == ["Springer"]
    assert ld["isPartOf"] == {"@type": "Book", "name": "Textbook of Reproductive Surgery",
                              "isbn": "978-3-030-00000-1"}
    assert ld["publisher"] == {"@type": "Organization", "name": "Springer"}
    assert [e["familyName"] for e in ld["editor"]] == ["Okafor", "Lindqvist"]  # type: ignore[index]
    tags, ld = tags_and_ld("talk2018")
    assert tags["citation_conference_title"] == ["Proceedings of the Annual Meeting of Reproductive Imaging"]
    tags, ld = tags_and_ld("thesis2020")
    assert tags["citation_dissertation_institution"] == ["Radboud University"]
    assert ld["publisher"] == {"@type": "Organization", "name": "Radboud University"}
    tags, _ = tags_and_ld("report2021")
    assert tags["citation_technical_report_institution"] == ["National Radiation Protection Board"]
    assert tags["citation_technical_report_number"] == ["NRPB-W21"] and "citation_issue" not in tags


def test_editors_markers_and_unsafe_urls_stay_off_the_site(tmp_path: Path) -> None:
    """Keywords such as ``trial:H2Oil`` are the editors' markers (the dashboard shows them to editors only): the
    site leaves them out of the page, the meta tags, the JSON-LD and the RIS file, and keeps real keywords; a URL
    of a scheme no page links to is printed nowhere (not in the citations nor the RIS file, where a reference
    manager would make a link of it)."""
    bib, out = _site(tmp_path, extra=OTHER_KINDS)
    slug = _slug_of(bib, "markers2022")
    page = (out / "library" / f"{slug}.html").read_text(encoding="utf-8")
    ris = (out / "library" / f"{slug}.ris").read_text(encoding="utf-8")
    dump = next(json.loads(line) for line in (out / "library.jsonl").read_text(encoding="utf-8").splitlines()
                if json.loads(line)["id"] == "markers2022")
    for text in (page, ris, json.dumps(dump)):
        assert "H2Oil" not in text and "outcome:" not in text
        assert "alert(document.domain)" not in text.lower()
    metas, scripts = _meta(out / "library" / f"{slug}.html")
    assert [v for n, v in metas if n == "citation_keywords"] == ["Hysterosalpingography", "Infertility: female"]
    assert scripts[0]["keywords"] == "Hysterosalpingography; Infertility: female"
    assert "KW  - Hysterosalpingography" in ris and "KW  - Infertility: female" in ris
    assert Library.load(bib).get("markers2022").keywords[:2] == ["trial:H2Oil", "outcome:live-birth"]  # kept


def test_direction_overrides_are_not_published(tmp_path: Path) -> None:
    """A right-to-left override in a title reorders the text after it in a list row (the "Trojan Source"
    trick): the site publishes the title without it."""
    bib, out = _site(tmp_path, extra=OTHER_KINDS)
    slug = _slug_of(bib, "spoof2023")
    for path in (out / "library" / f"{slug}.html", out / "library" / f"{slug}.ris", out / "library" / "index.html"):
        text = path.read_text(encoding="utf-8")
        assert "\u202e" not in text and "\u202c" not in text, path
    page = (out / "library" / f"{slug}.html").read_text(encoding="utf-8")
    assert "Tubal patency tset in practice" in page and "Rtl, Override" in page  # the name, without its override


def test_and_others_is_never_an_author_on_the_site(tmp_path: Path) -> None:
    """BibTeX's ``and others`` says the list goes on: the page says "et al.", no tool is told of an author
    called "others" (meta tags, JSON-LD, RIS)."""
    bib, out = _site(tmp_path, extra=OTHER_KINDS)
    slug = _slug_of(bib, "truncated1988")
    page = (out / "library" / f"{slug}.html").read_text(encoding="utf-8")
    assert '<p class="authors">M. J. Novy, A. S. Thurmond, P. Patton et al.</p>' in page
    metas, scripts = _meta(out / "library" / f"{slug}.html")
    assert [v for n, v in metas if n == "citation_author"] == ["Novy, M. J.", "Thurmond, A. S.", "Patton, P."]
    assert [a["familyName"] for a in scripts[0]["author"]] == ["Novy", "Thurmond", "Patton"]  # type: ignore[index]
    ris = (out / "library" / f"{slug}.ris").read_text(encoding="utf-8")
    assert "others" not in ris and ris.count("AU  - ") == 3
    rows = (out / "library" / "index.html").read_text(encoding="utf-8")
    assert "Novy MJ, Thurmond AS, Patton P et al." in rows


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_incremental_rewrites_only_what_changed_and_slugs_stay(tmp_path: Path) -> None:
    bib, out = _site(tmp_path)
    entries = load_entries(ROOT / "encyclopedia.toml")
    config = PublishConfig(base_url="https://example.org/rl/", browse_exclude_stances=("hostile",))
    again = publish_site(Library.load(bib), out, entries, config)
    assert again.written == 0 and again.rendered == 0 and again.unchanged > 100
    lib = Library.load(bib)
    record = next(r for r in lib.records() if r.key != "xss2024" and r.year)
    slug = record.extra["slug"]
    other = next(r for r in lib.records() if r.key not in (record.key, "xss2024"))
    other_page = out / "library" / f"{other.extra['slug']}.html"
    before = other_page.read_bytes()
    edited = record.copy()
    edited.title = "A corrected title"
    lib.update(edited)
    lib.save()
    report = publish_site(Library.load(bib), out, entries, config)
    assert report.parsed == 1 and report.cite_misses == 1
    assert report.written < 30
    assert Library.load(bib).get(record.key).extra["slug"] == slug  # the URL did not move
    assert "A corrected title" in (out / "library" / f"{slug}.html").read_text(encoding="utf-8")
    assert other_page.read_bytes() == before
    # an editor renames the slug: the old address redirects
    lib = Library.load(bib)
    renamed = lib.get(record.key)
    renamed.extra["slug"] = "a-corrected-title"
    lib.update(renamed)
    lib.save()
    publish_site(Library.load(bib), out, entries, config)
    old = (out / "library" / f"{slug}.html").read_text(encoding="utf-8")
    assert 'content="0; url=a-corrected-title.html"' in old
    assert (out / "library" / "a-corrected-title.html").exists()
    # a removed study's page goes away
    lib = Library.load(bib)
    lib.remove(other.key)
    lib.save()
    report = publish_site(Library.load(bib), out, entries, config)
    assert not other_page.exists() and report.removed >= 2


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_statuses_rule_and_unverified_note(tmp_path: Path) -> None:
    extra = HOSTILE.replace("unverified   = {none}", "unverified   = {pages, doi}").replace("xss2024", "unv2024")
    config = PublishConfig(statuses=("verified",), unverified_note=True)
    bib, out = _site(tmp_path, config, extra)
    lib = Library.load(bib)
    pages = sorted(p.name for p in (out / "library").glob("*.html") if not p.name.startswith(("index", "page")))
    verified = sorted(f"{r.extra['slug']}.html" for r in lib.records() if r.verification == "verified")
    assert pages == verified and f"{_slug_of(bib, 'unv2024')}.html" not in pages
    assert 0 < len(pages) < 37
    config = PublishConfig(statuses=("unverified",), unverified_note=True)
    publish_site(lib, out, load_entries(ROOT / "encyclopedia.toml"), config)
    page = out / "library" / f"{_slug_of(bib, 'unv2024')}.html"
    assert "Details not yet verified: pages, doi" in page.read_text(encoding="utf-8")
    assert not (out / "library" / verified[0]).exists()


def test_slugs_are_sanitized_and_unique() -> None:
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("Ærø <script>") == "aero-script"
    assert slugify("!!!") == "study"
    assert len(slugify("word " * 40)) <= 70
    taken: set[str] = set()
    assert [make_unique("index", taken), make_unique("a", taken), make_unique("a", taken)] == \
        ["index-2", "a", "a-2"]


def test_config_errors_name_the_line() -> None:
    with pytest.raises(PublishConfigError) as err:
        parse_config('site_title = "x"\nstatuses = ["published"]\nbase_url = "javascript:x"\n', "publish.toml")
    text = str(err.value)
    assert "publish.toml:2" in text and "publish.toml:3" in text
    config = parse_config('base_url = "https://example.org/x"\nbrowse_exclude_stances = ["hostile", "critical"]\n')
    assert config.base_url == "https://example.org/x/" and config.browse_exclude_stances == ("hostile", "critical")


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_cli_publish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from library.cli import main

    bib = tmp_path / "references.bib"
    shutil.copyfile(REFERENCES, bib)
    (tmp_path / "publish.toml").write_text('site_title = "RRM Research"\nbase_url = "https://example.org/"\n')
    assert main(["--bib", str(bib), "publish", str(tmp_path / "out")]) == 0
    assert "36 studies published" in capsys.readouterr().err
    assert "RRM Research" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    (tmp_path / "publish.toml").write_text("page_size = 0\n")
    assert main(["--bib", str(bib), "publish", str(tmp_path / "out")]) == 2
    assert "publish.toml:1" in capsys.readouterr().err


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_old_slug_is_kept_on_the_record_and_redirects_from_a_fresh_folder(tmp_path: Path) -> None:
    bib, out = _site(tmp_path)
    entries = load_entries(ROOT / "encyclopedia.toml")
    config = PublishConfig(base_url="https://example.org/rl/")
    lib = Library.load(bib)
    record = lib.get("xss2024")
    old_slug = record.extra["slug"]
    record.extra["slug"] = "renamed-study"
    lib.update(record)
    lib.save()
    publish_site(Library.load(bib), out, entries, config)
    stored = Library.load(bib).get("xss2024")
    assert stored.extra["slug_old"] == old_slug and stored.extra["slug"] == "renamed-study"
    # a new study whose title would give the old slug gets another one: the redirect stays
    lib = Library.load(bib)
    twin = lib.get("xss2024")
    twin.key = "twin2024"
    twin.extra.pop("slug")
    twin.extra.pop("slug_old")
    lib.add(twin)
    lib.save()
    fresh = tmp_path / "fresh"  # e.g. a CI build from the library alone: no state of earlier runs
    report = publish_site(Library.load(bib), fresh, entries, config)
    assert report.slugs_assigned == 1
    twin_slug = _slug_of(bib, "twin2024")
    assert twin_slug not in (old_slug, "renamed-study") and twin_slug.startswith(old_slug)
    redirect = (fresh / "library" / f"{old_slug}.html").read_text(encoding="utf-8")
    assert 'content="0; url=renamed-study.html"' in redirect
    assert '<link rel="canonical" href="https://example.org/rl/library/renamed-study.html">' in redirect
    html5lib.HTMLParser(strict=True).parse(redirect)
    sitemap = (fresh / "sitemap.xml").read_text(encoding="utf-8")
    assert f"library/{old_slug}.html" not in sitemap and "library/renamed-study.html" in sitemap


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_first_publish_stores_slugs_in_one_save_without_stamping_modified(tmp_path: Path) -> None:
    bib, _ = _site(tmp_path)
    lib = Library.load(bib)
    originals = {r.key: r.modified for r in Library.load(REFERENCES).records()}
    records = list(lib.records())
    assert all(is_slug(r.extra["slug"]) for r in records)
    assert len({r.extra["slug"] for r in records}) == len(records)
    assert {r.key: r.modified for r in records if r.key in originals} == originals


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_state_rewrites_only_the_study_files_of_edited_studies(tmp_path: Path) -> None:
    from library.publish.output import STATE_DIR, STUDY_SHARDS, load_state, study_shard

    bib, out = _site(tmp_path)
    entries = load_entries(ROOT / "encyclopedia.toml")
    config = PublishConfig(base_url="https://example.org/rl/", browse_exclude_stances=("hostile",))
    folder = out / STATE_DIR
    files = sorted(folder.glob("studies-*.marshal"))
    assert len(files) == STUDY_SHARDS
    before = {p.name: p.stat().st_mtime_ns for p in files}
    state = load_state(out)
    lib = Library.load(bib)
    record = next(r for r in lib.records() if r.key != "xss2024")
    assert state["studies"][record.key][2].title == record.title
    edited = record.copy()
    edited.title = "A corrected title for the state test"
    lib.update(edited)
    lib.save()
    publish_site(Library.load(bib), out, entries, config)
    after = {p.name: p.stat().st_mtime_ns for p in sorted(folder.glob("studies-*.marshal"))}
    changed = {name for name in after if after[name] != before[name]}
    now = load_state(out)["studies"]
    assert now[record.key][2].title == "A corrected title for the state test"
    differing = {k for k in now if now[k] != state["studies"].get(k)}  # the edited study and its neighbours
    assert record.key in differing and len(differing) < len(now) // 4
    assert changed == {f"studies-{study_shard(k)}.marshal" for k in differing}
    # a lost study file: the state is not trusted, the next run rebuilds every page
    (folder / f"studies-{(study_shard(record.key) + 1) % STUDY_SHARDS}.marshal").unlink()
    assert load_state(out) == {}
    report = publish_site(Library.load(bib), out, entries, config)
    assert report.rendered == report.studies > 0
    assert len(list(folder.glob("studies-*.marshal"))) == STUDY_SHARDS


@pytest.mark.parametrize("kernel_copy", [True, False])
def test_site_writer_patch_replaces_ranges_and_refuses_a_changed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     kernel_copy: bool) -> None:
    import os

    from library.publish.output import SiteWriter

    if not kernel_copy:  # a file system or kernel without copy_file_range: the buffered copy
        def refuse(*args: object) -> int:
            raise OSError("not supported")
        monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    first = SiteWriter(tmp_path, {})
    lines = [b"alpha", b"bravo", b"charlie", b"delta"]
    first.write("library.jsonl", b"\n".join(lines) + b"\n")
    size = (tmp_path / "library.jsonl").stat().st_size
    writer = SiteWriter(tmp_path, dict(first.new))
    # the first and the last line, one longer and one shorter; an unchanged line is no patch
    assert writer.patch("library.jsonl", size, [(0, 5, b"ALPHA-1"), (6, 5, b"bravo"), (20, 5, b"D")])
    assert (tmp_path / "library.jsonl").read_bytes() == b"ALPHA-1\nbravo\ncharlie\nD\n"
    assert writer.written == 1 and writer.new["library.jsonl"] != first.new["library.jsonl"]
    again = SiteWriter(tmp_path, dict(writer.new))
    new_size = (tmp_path / "library.jsonl").stat().st_size
    assert again.patch("library.jsonl", new_size, [(8, 5, b"bravo")])  # nothing changes: kept
    assert again.written == 0 and again.new["library.jsonl"] == writer.new["library.jsonl"]
    assert not again.patch("library.jsonl", size, [(0, 1, b"x")])  # not the size the state knows
    assert not SiteWriter(tmp_path, {}).patch("library.jsonl", new_size, [(0, 1, b"x")])  # not written by a run
    assert (tmp_path / "library.jsonl").read_bytes() == b"ALPHA-1\nbravo\ncharlie\nD\n"
