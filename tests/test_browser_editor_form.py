"""The study page's edit form in a real browser, where the browser keeps each widget's value between runs.

AppTest reads a widget's value from the session on the server, so it cannot see what the browser shows: a form
field the script only *dropped* from the session keeps the browser's old value, and the next Save sends it back.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from library import Library
from library.evidence.classify import classify_record
from library.evidence.taxonomy import default_taxonomy_path, load_taxonomy

from .conftest import REFERENCES
from .test_browser import CHROMIUM, dashboard_server, free_port, launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120), pytest.mark.flaky(reruns=1, reruns_delay=2)]

KEY = "fang2018oil"


def test_an_accepted_topic_shows_in_the_form_and_a_later_save_keeps_it(tmp_path: Path) -> None:
    """Accept a suggested topic, then save the form (a TL;DR): the accepted topic stays in the file. The form
    showed the manual topics from before the accept, and its Save wrote them back, removing the accepted one."""
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.fail(f"Debian chromium is not installed ({CHROMIUM}); run `make system-deps` (make test does)")
    from playwright.sync_api import expect, sync_playwright

    library = tmp_path / "references.bib"
    shutil.copyfile(REFERENCES, library)
    lib = Library.load(library)
    record = lib.get(KEY)
    record.abstract = ("We pooled trials of women with infertility. One trial excluded women with osteoporosis. "
                       "Another reported dysmenorrhea at baseline.")
    lib.update(classify_record(record, load_taxonomy(default_taxonomy_path())))
    lib.save()
    assert Library.load(library).get(KEY).topics_suggested == ["Menstrual Cycle", "Bone Health"]

    env = {**os.environ, "REFLIB_BIB": str(library), "REFLIB_CACHE_DIR": str(tmp_path / "cache"),
           "REFLIB_EDITOR": "1"}
    expect.set_options(timeout=20_000)
    with dashboard_server(free_port(), env, keep_output=True) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(f"{url}/?study={KEY}", wait_until="domcontentloaded")
            expect(page.get_by_text("Suggested topics")).to_be_visible(timeout=30_000)
            page.get_by_role("button", name="Accept").nth(1).click()  # Bone Health
            expect(page.get_by_text(f"Accepted Bone Health for {KEY}.")).to_be_visible()
            assert "Bone Health" in Library.load(library).get(KEY).topics
            form = page.locator("[data-testid='stForm']").first
            expect(form.locator("[data-testid='stMultiSelect']")).to_contain_text("Bone Health")

            form.get_by_label("TL;DR (one sentence)").fill("Oil contrast, more pregnancies.")
            form.get_by_role("button", name="Save changes").click()
            expect(page.get_by_text(f"Saved {KEY}.")).to_be_visible()
        finally:
            browser.close()
    saved = Library.load(library).get(KEY)
    assert saved.synopsis.tldr == "Oil contrast, more pregnancies."
    assert "Bone Health" in saved.topics  # the accepted topic survives the later save
