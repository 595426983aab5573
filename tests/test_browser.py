"""The served dashboard in a real browser: `streamlit run` on a free port, driven in Debian's headless chromium.

Not skipped when chromium is missing: `make test` installs it, so its absence is a broken setup and fails with
the command that fixes it. Saves test-artifacts/dashboard.png (the untrusted study), dashboard-list.png (the filtered list) and
dashboard-study.png (a real study opened from a shared link).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import REFERENCES, ROOT

# a real browser against a real server: one retry absorbs a timing miss on a loaded 2-core machine; a real
# fault fails both runs
pytestmark = [pytest.mark.browser, pytest.mark.timeout(120), pytest.mark.flaky(reruns=1, reruns_delay=2)]

CHROMIUM = Path(os.environ.get("REFLIB_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
ARTIFACTS = ROOT / "test-artifacts"
XSS = "<img src=x onerror=alert(1)>"
HOSTILE = f"""
@article{{xss2024,
  author       = {{Mallory, Eve and {{<b>Injected</b> Group}}}},
  title        = {{{XSS}}},
  journal      = {{Journal of <script>alert(2)</script> Studies}},
  year         = {{2024}},
  abstract     = {{BACKGROUND: [click me](javascript:alert(3)) and **not bold**. RESULTS: <iframe src=x></iframe>}},
  design       = {{rct}},
  topics       = {{Diagnostics > Tubal patency > HSG}}
}}
"""


def launch_chromium(pw: Any) -> Any:
    """Debian's chromium (headless, with FLAGS) through Playwright's ``pw``: the one browser every browser test
    drives."""
    return pw.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
                              args=FLAGS, headless=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"streamlit exited with {server.returncode}: {server.stdout.read().decode()[-2000:]}"
                                 if server.stdout else f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"streamlit did not answer on {url} within {timeout} s")


@contextlib.contextmanager
def dashboard_server(port: int, env: dict[str, str], keep_output: bool = False) -> Iterator[str]:
    """``streamlit run dashboard.py`` on 127.0.0.1:``port`` with ``env``; its URL once healthy; stopped after.
    ``keep_output`` pipes its log for the failure message (only for short-lived servers: an unread pipe fills up)."""
    output = subprocess.PIPE if keep_output else subprocess.DEVNULL
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    library = tmp_path / "references.bib"
    library.write_text(REFERENCES.read_text(encoding="utf-8") + HOSTILE, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "REFLIB_BIB": str(library), "REFLIB_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("REFLIB_EDITOR", None)
    with dashboard_server(port, env, keep_output=True) as url:
        yield url


def _choose(page: Any, box: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox; retried because a rerun can redraw the box while it is open."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(4):
        page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=30_000)
        page.locator("[data-testid='stSelectbox']").filter(has_text=box).click()
        try:
            page.get_by_role("option").filter(has_text=option).click(timeout=10_000)
            return
        except PlaywrightTimeout:
            if attempt == 3:
                raise
            page.keyboard.press("Escape")


def test_filter_open_study_and_untrusted_text_stays_text(served: str) -> None:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.fail(f"Debian chromium is not installed ({CHROMIUM}); run `make system-deps` (make test does)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # CI machines can be slow; every wait below still has a bound

    ARTIFACTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1500})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(served, wait_until="domcontentloaded")
            expect(page.get_by_text("37 of 37 studies")).to_be_visible(timeout=30_000)

            search = page.locator("section[data-testid='stSidebar'] input[aria-label='Search']")
            search.fill("onerror")
            search.press("Enter")
            expect(page.get_by_text("1 of 37 studies match the filters")).to_be_visible(timeout=15_000)
            assert "q=onerror" in page.url  # the filter is in the address, so the view can be shared
            page.screenshot(path=str(ARTIFACTS / "dashboard-list.png"))

            _choose(page, "Open a study", "Mallory 2024")
            heading = page.locator("h1").filter(has_text="onerror")
            expect(heading).to_have_text(XSS, timeout=15_000)
            assert "study=xss2024" in page.url
            expect(page.get_by_text("[click me](javascript:alert(3)) and **not bold**.")).to_be_visible()
            expect(page.get_by_text("Journal of <script>alert(2)</script> Studies.", exact=False).first).to_be_visible()

            app = page.locator("[data-testid='stMain']")
            assert app.locator("img[src='x']").count() == 0
            assert app.locator("iframe[src='x']").count() == 0
            assert app.locator("a[href^='javascript']").count() == 0
            assert app.locator("b", has_text="Injected").count() == 0
            page.wait_for_timeout(500)  # an injected onerror handler would have fired by now
            assert dialogs == []
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            page.goto(f"{served}/?study=dreyer2017oil", wait_until="domcontentloaded")  # a shared study link
            expect(page.locator("h1").filter(has_text="Oil-Based or Water-Based Contrast")).to_be_visible(
                timeout=15_000)
            expect(page.get_by_role("link", name="10.1056/NEJMoa1612337")).to_have_attribute(
                "href", "https://doi.org/10.1056/NEJMoa1612337")
            expect(page.get_by_text("same trial (H2Oil)", exact=False)).to_be_visible(timeout=15_000)
            expect(page.locator("[data-testid='stCode']").filter(has_text="Dreyer K").first).to_be_visible(timeout=15_000)
            expect(page.get_by_role("button", name="Hysterosalpingogram (HSG)")).to_be_visible(timeout=15_000)
            page.screenshot(path=str(ARTIFACTS / "dashboard-study.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
