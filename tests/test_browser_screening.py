"""Screening five records by keyboard in a real browser (served dashboard, editor mode, headless chromium)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from library.model import Author, Record
from library.screen.inbox import Inbox, inbox_path

from .conftest import REFERENCES
from .test_browser import CHROMIUM, dashboard_server, free_port, launch_chromium

# a real browser against a real server: one retry absorbs a timing miss on a loaded 2-core machine; a real
# fault fails both runs
pytestmark = [pytest.mark.browser, pytest.mark.timeout(180), pytest.mark.flaky(reruns=1, reruns_delay=2)]


@pytest.fixture
def served_inbox(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    library = tmp_path / "references.bib"
    shutil.copyfile(REFERENCES, library)
    with Inbox.open(inbox_path(library)) as inbox:
        inbox.add([Record(key="", title=f"Keyboard screening study {n} on tubal patency {n * 7919}",
                          authors=[Author(family=f"Roe{n}", given="K")], year=2021, journal="J Keys",
                          volume=str(n), pages=f"{n}--{n + 2}", pmid=str(800000 + n),
                          abstract=f"Contrast media and pregnancy, record {n}.") for n in range(5)], source="keys")
    port = free_port()
    env = {**os.environ, "REFLIB_BIB": str(library), "REFLIB_CACHE_DIR": str(tmp_path / "cache"),
           "REFLIB_EDITOR": "1", "REFLIB_REVIEWER": "kim"}
    with dashboard_server(port, env, keep_output=True) as url:
        yield url, library


def _decisions(library: Path) -> int:
    with Inbox.open(inbox_path(library)) as inbox:
        return int(inbox.conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])


def _settle(page, quiet: float = 0.6, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    """Wait until the app has been idle (no "running" status) for ``quiet`` seconds: the decision is written in
    the middle of a run, so on a loaded machine the next key could otherwise arrive before the page is redrawn."""
    status = page.locator("[data-testid='stStatusWidget']")
    deadline = time.monotonic() + timeout
    idle_since = None
    while time.monotonic() < deadline:
        if status.is_visible():
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= quiet:
            return
        time.sleep(0.1)
    raise AssertionError("the screening page kept running")


def test_screen_five_records_by_keyboard(served_inbox: tuple[str, Path]) -> None:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.fail(f"Debian chromium is not installed ({CHROMIUM}); run `make system-deps` (make test does)")
    from playwright.sync_api import expect, sync_playwright

    url, library = served_inbox
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1200})
            page.goto(f"{url}/?view=screening", wait_until="domcontentloaded")
            expect(page.get_by_text("0 of 5 screened")).to_be_visible(timeout=30_000)
            for n, key in enumerate("mixix", 1):
                screened = sum(k in "ix" for k in "mixix"[:n - 1])
                expect(page.get_by_text(f"{screened} of 5 screened")).to_be_visible(timeout=30_000)
                _settle(page)
                page.locator("h1").first.click()  # focus out of the reviewer field
                page.keyboard.press(key)
                deadline = time.monotonic() + 30
                while _decisions(library) < n and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert _decisions(library) == n, f"key {key!r} (decision {n}) was not recorded"
            expect(page.get_by_text("4 of 5 screened")).to_be_visible(timeout=30_000)
            page.reload(wait_until="domcontentloaded")  # a run cut short by the next key is settled on the next run
            expect(page.get_by_text("4 of 5 screened")).to_be_visible(timeout=30_000)
            page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=30_000)
        finally:
            browser.close()
    with Inbox.open(inbox_path(library)) as inbox:
        assert inbox.count(("included",)) == 2 and inbox.count(("excluded",)) == 2 and inbox.count(("maybe",)) == 1
        assert {r for (r,) in inbox.conn.execute("SELECT DISTINCT reviewer FROM decisions")} == {"kim"}
        assert all(it.library_key for it in inbox.items(("included",)))
