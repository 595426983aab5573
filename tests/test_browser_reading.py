"""Issue 17 in a real browser (Debian headless chromium through Playwright): what a clinician and an editor do
without a manual, at 1400 and 800 px, with an axe-core scan of every page (no serious or critical violation,
one H1). One server per module keeps this fast; screenshots go to test-artifacts/reading-*.png.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import REFERENCES
from .test_browser import ARTIFACTS, CHROMIUM, dashboard_server, free_port, launch_chromium

# a real browser against a real server: one retry absorbs a timing miss on a loaded 2-core machine; a real
# fault fails both runs
pytestmark = [pytest.mark.browser, pytest.mark.timeout(180), pytest.mark.flaky(reruns=1, reruns_delay=2)]

HSG = "Diagnostics > Tubal patency > HSG"


def _axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def _serve(tmp: Path, editor: bool) -> Iterator[str]:
    library = tmp / "references.bib"
    shutil.copyfile(REFERENCES, library)
    port = free_port()
    env = {**os.environ, "REFLIB_BIB": str(library), "REFLIB_CACHE_DIR": str(tmp / "cache")}
    env.pop("REFLIB_EDITOR", None)
    if editor:
        env["REFLIB_EDITOR"] = "1"
    with dashboard_server(port, env) as url:
        yield url


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(tmp_path_factory.mktemp("reader"), editor=False)


@pytest.fixture(scope="module")
def editor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(tmp_path_factory.mktemp("editor"), editor=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.fail(f"Debian chromium is not installed ({CHROMIUM}); run `make system-deps` (make test does)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser: Any, width: int, height: int = 1000) -> Any:
    return browser.new_page(viewport={"width": width, "height": height})


def _settled(page: Any) -> None:
    """The app finished its run (the 'running' widget is gone) and has drawn its H1."""
    page.locator("h1").first.wait_for(timeout=30_000)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=30_000)
    page.wait_for_timeout(400)


def _expect_h1(page: Any, text: str) -> None:
    """The page's one H1 reads ``text``; while Streamlit reruns, the previous page's H1 can linger for a moment."""
    from playwright.sync_api import expect

    expect(page.locator("h1").filter(has_text=text).first).to_be_visible(timeout=30_000)
    expect(page.locator("h1")).to_have_count(1, timeout=30_000)
    expect(page.locator("h1")).to_have_text(text)


def _go(page: Any, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    _settled(page)


def _axe(page: Any, name: str) -> None:
    """axe-core in the page: no serious or critical violation, exactly one H1; saves the screenshot."""
    _settled(page)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=_axe_source())
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.slice(0, 2).map(n => n.html.slice(0, 100)).join(' | '));
    }""")
    page.screenshot(path=str(ARTIFACTS / f"reading-{name}.png"), full_page=True)
    assert found == [], found
    assert page.locator("h1").count() == 1, page.locator("h1").all_inner_texts()


def test_library_table_fits_1400_and_a_title_click_or_the_keyboard_opens_a_study(reader: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = _page(browser, 1400)
    _go(page, f"{reader}/?topic={HSG.replace(' ', '%20').replace('>', '%3E')}%20%3E%20Contrast%20media")
    _axe(page, "library-1400")
    fits = page.evaluate("""() => { const s = document.querySelector('[data-testid=stDataFrame] .dvn-scroller');
                                   return [s.scrollWidth, s.clientWidth]; }""")
    assert fits[0] <= fits[1] + 1, fits  # every column visible, no horizontal scrolling
    chip = page.locator("[data-testid='stMultiSelectTagsContainer'] [data-tag] > span").first
    assert chip.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # the whole topic, not 'Diagnostics > Tub…'
    grid = page.locator("[data-testid='stDataFrame']").bounding_box()
    page.mouse.click(grid["x"] + 33 + 52 + 120, grid["y"] + 38 + 78 * 0.5)  # the first row's title
    expect(page).to_have_url(__import__("re").compile(r"study=tsui2023metaanalysis"))
    _expect_h1(page, "A meta-analysis of fertility and adverse outcomes in oil- and "
                "water-based contrast for hysterosalpingography")
    page.go_back()
    _settled(page)
    page.locator("[data-testid='data-grid-canvas']").focus()
    for key in ("ArrowDown", "ArrowDown", "ArrowRight"):  # rows in the Year column, then into the title
        page.keyboard.press(key)
        page.wait_for_timeout(250)
    expect(page).to_have_url(__import__("re").compile(r"study="))
    assert "topic=" not in page.url or "study=" in page.url
    page.close()


def test_search_knows_abbreviations_and_is_ranked(reader: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = _page(browser, 1400)
    _go(page, reader)
    search = page.locator("section[data-testid='stSidebar'] input[aria-label='Search']")
    search.fill("HSG")
    search.press("Enter")
    expect(page.get_by_text("23 of 36 studies match the filters")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Searching also for HSG", exact=False)).to_be_visible()
    _axe(page, "search-hsg")
    search.fill("saline infusion sonography")
    search.press("Enter")
    expect(page.get_by_text("10 of 36 studies match the filters")).to_be_visible(timeout=15_000)
    page.close()


def test_study_page_is_structured_like_an_article_page(reader: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = _page(browser, 1400)
    _go(page, f"{reader}/?study=dreyer2017oil")
    title = "Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women"
    _expect_h1(page, title)
    assert page.title().startswith(title)  # the browser tab names the study
    main = page.locator("[data-testid='stMain']")
    for crumb in ("Research library", "Diagnostics", "Tubal patency", "HSG"):
        expect(main.get_by_role("button", name=crumb, exact=True)).to_be_visible()
    expect(main.get_by_text("et al.", exact=False).first).to_be_visible()
    main.get_by_text("Show all 32 authors").click()
    expect(main.get_by_text("Ben W. J. Mol", exact=False).first).to_be_visible()  # the 32nd author
    assert main.get_by_text("trial:H2Oil").count() == 0  # internal keywords stay out of the reader's view
    expect(main.get_by_role("link", name="28520519")).to_have_attribute("href",
                                                                       "https://pubmed.ncbi.nlm.nih.gov/28520519/")
    copy = main.locator("[data-testid='stCode']").filter(has_text="Dreyer K").locator(
        "button[aria-label='Copy to clipboard']")
    assert copy.evaluate("b => getComputedStyle(b.closest('[data-testid=stCode] > div')).opacity") == "1"
    text_box = main.locator("[data-testid='stCode']").filter(has_text="Dreyer K").locator("pre").bounding_box()
    button_box = copy.bounding_box()
    assert button_box["x"] >= text_box["x"] + text_box["width"] - 3 * 16 - 2  # in the padding, not over text
    expect(main.get_by_role("button", name="Hysterosalpingogram (HSG)")).to_be_visible()  # entry link
    expect(main.get_by_text("Why these automatic values")).to_be_visible()
    main.get_by_text("Link to this study").click()
    expect(main.locator("[data-testid='stCode']").filter(has_text="?study=dreyer2017oil")).to_be_visible()
    _axe(page, "study-1400")
    main.get_by_role("button", name="Diagnostics > Tubal patency > HSG > Contrast media").click()
    _expect_h1(page, "Research library")
    assert "topic=Diagnostics" in page.url and "study=" not in page.url
    page.close()


def test_encyclopedia_map_cells_related_terms_and_back_navigation(reader: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = _page(browser, 1400, 1400)
    _go(page, f"{reader}/?view=encyclopedia&entry=hysterosalpingogram")
    _expect_h1(page, "Hysterosalpingogram (HSG)")
    expect(page.get_by_role("button", name="Saline Infusion Sonography (SIS)")).to_be_visible()
    page.get_by_text("This entry's studies").click()
    _settled(page)
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    rows = page.evaluate("""() => { const svg = document.querySelector('[data-testid=stVegaLiteChart] svg');
        const axis = [...svg.querySelectorAll('g.role-axis')].find(g => g.getAttribute('aria-label')?.includes('Y-axis'));
        return axis ? [...axis.querySelectorAll('g.role-axis-label text')].map(t => t.textContent) : []; }""")
    assert len(rows) >= 3 and all(r and "…" not in r for r in rows), rows  # every row labelled, in full
    _axe(page, "encyclopedia-1400")
    rect = chart.locator("svg g.mark-rect path").first
    rect.click()
    expect(page.get_by_text("Click a cell to list its studies")).to_be_visible()
    expect(page.locator("[data-testid='stMarkdownContainer']").filter(has_text=" · ").filter(
        has_text="stud").first).to_be_visible(timeout=15_000)
    _go(page, f"{reader}/?view=encyclopedia&entry=hysterosalpingogram")
    page.locator("[data-testid='stMain']").get_by_role("button", name="Read").first.click()
    _settled(page)
    assert "from=entry" in page.url
    page.get_by_role("button", name="Encyclopedia").click()
    _expect_h1(page, "Hysterosalpingogram (HSG)")  # back where the reader came from
    page.close()


def test_800_px_sidebar_folds_buttons_keep_labels_citations_readable(reader: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = _page(browser, 800)
    _go(page, f"{reader}/?study=dreyer2017oil")
    sidebar = page.locator("section[data-testid='stSidebar']")
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    # folded away once its slide-out transition ends; "Expand sidebar" opens it again
    page.wait_for_function("() => document.querySelector(\"section[data-testid='stSidebar']\")"
                           ".getBoundingClientRect().width < 10", timeout=15_000)
    assert sidebar.bounding_box()["width"] < 10
    main = page.locator("[data-testid='stMain']")
    width = page.evaluate("document.documentElement.clientWidth")
    for button in main.locator("button[kind='secondary'], button[kind='tertiary']").all():
        box = button.bounding_box()
        if button.is_visible() and box is not None:
            assert button.evaluate("b => b.scrollWidth <= b.clientWidth + 1 && b.clientWidth > 24"), button.inner_text()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, button.inner_text()  # label not cut
    citation = main.locator("[data-testid='stCode']").filter(has_text="Dreyer K").bounding_box()
    assert citation["width"] >= 300  # the citation gets the page's width, not a 15-character column
    _axe(page, "study-800")
    _go(page, f"{reader}/?view=encyclopedia&entry=hysterosalpingogram")
    _axe(page, "encyclopedia-800")
    _go(page, reader)
    _axe(page, "library-800")
    page.close()


def test_editor_feedback_sits_next_to_the_form(editor: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = _page(browser, 1400, 1200)
    _go(page, f"{editor}/?study=fang2018oil")
    page.get_by_role("link", name="Edit this study").click()
    form = page.locator("[data-testid='stForm']").first
    expect(form).to_be_in_viewport()  # the link at the top of the study reaches the form
    form.get_by_role("button", name="Save changes").click()
    saved = page.locator("[data-testid='stAlertContentSuccess']").filter(has_text="Saved fang2018oil")
    expect(saved).to_be_visible(timeout=15_000)
    box, alert = page.locator("[data-testid='stForm']").first.bounding_box(), saved.bounding_box()
    assert 0 <= alert["y"] - (box["y"] + box["height"]) < 120  # right below the Save button, not at the top
    _axe(page, "editor-study")
    page.close()


def test_editor_import_preview_shows_what_will_be_stored(editor: str, browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from .test_dashboard import RIS

    upload = tmp_path / "pubmed.ris"
    upload.write_bytes(RIS)
    page = _page(browser, 1400, 1200)
    _go(page, f"{editor}/?view=import")
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(upload))
    expect(page.get_by_text("record(s) read from pubmed.ris", exact=False)).to_be_visible(timeout=30_000)
    _settled(page)
    page.locator("[data-testid='stDataFrame'] th").filter(has_text="journal").first.wait_for(state="attached",
                                                                                          timeout=20_000)
    headers = page.locator("[data-testid='stDataFrame']").first.evaluate(
        "g => [...g.querySelectorAll('th')].map(th => th.textContent)")
    for column in ("title", "year", "authors", "journal", "design", "level", "topics"):
        assert column in headers, headers  # what will be stored, visible without scrolling (values: test_reading)
    _axe(page, "editor-import")
    page.close()
