"""The published site in a real browser: ``reflib publish OUTDIR --serve`` in a subprocess, crawled in Debian's
headless chromium through Playwright from the home page. Every internal link, stylesheet, script and feed answers
200; no page opens a script dialog (the library holds a study titled ``<script>alert(1)</script>`` with a
``javascript:`` URL); no element links to a ``javascript:`` address; client-side search finds the hostile study and
shows its title as text; an old slug's address lands on the study's new page.

Not skipped when chromium is missing (as in tests/test_browser.py): `make test` installs it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from library import Library

from .conftest import REFERENCES, ROOT
from .test_browser import ARTIFACTS, CHROMIUM, free_port, launch_chromium

# a real browser against a real server: one retry absorbs a timing miss on a loaded 2-core machine; a real
# fault fails both runs
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300), pytest.mark.flaky(reruns=1, reruns_delay=2)]

SCRIPT_TITLE = "<script>alert(1)</script>"
HOSTILE = f"""
@article{{script2025,
  author       = {{Mall{{\\"o}}ry, Eve}},
  title        = {{{SCRIPT_TITLE}}},
  journal      = {{Journal of <img src=x onerror=alert(2)> Studies}},
  year         = {{2025}},
  url          = {{javascript:alert(3)}},
  abstract     = {{BACKGROUND: [click](javascript:alert(4)) <a href="javascript:alert(5)">here</a>.}},
  design       = {{rct}},
  topics       = {{Diagnostics > Tubal patency > HSG}},
  discussed_in = {{hysterosalpingogram}},
  unverified   = {{none}}
}}
"""


def _wait_served(url: str, server: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            out = server.stdout.read().decode(errors="replace")[-2000:] if server.stdout else ""
            raise AssertionError(f"reflib publish --serve exited with {server.returncode}: {out}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"reflib publish --serve did not answer on {url} within {timeout} s")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    tmp = tmp_path_factory.mktemp("published")
    bib = tmp / "references.bib"
    bib.write_text(REFERENCES.read_text(encoding="utf-8") + HOSTILE, encoding="utf-8")
    shutil.copyfile(ROOT / "encyclopedia.toml", tmp / "encyclopedia.toml")
    out = tmp / "site"
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "library.cli", "--bib", str(bib), "publish", str(out),
                               "--serve", "--port", str(port)],
                              cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_served(url + "index.html", server)
        yield url, bib, out
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.fail(f"Debian chromium is not installed ({CHROMIUM}); run `make system-deps` (make test does)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        try:
            yield chromium
        finally:
            chromium.close()


_LINKS = """() => Array.from(document.querySelectorAll('[href],[src],[action]')).map(
    e => [e.tagName.toLowerCase(), e.getAttribute('href') ?? e.getAttribute('src') ?? e.getAttribute('action')])"""


def _slug_of(bib: Path, key: str) -> str:
    return Library.load(bib).get(key).extra["slug"]


def test_crawl_finds_no_broken_link_no_dialog_no_javascript_url(served: tuple[str, Path, Path], browser: Any) -> None:
    root, bib, _ = served
    page = browser.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    queue: deque[str] = deque([root + "index.html"])
    seen_pages: set[str] = set()
    checked: dict[str, int] = {}
    broken: list[str] = []
    bad_links: list[str] = []
    while queue:
        url = queue.popleft()
        if url in seen_pages:
            continue
        seen_pages.add(url)
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            broken.append(f"{url}: {response.status if response else 'no response'}")
            continue
        for tag, href in page.evaluate(_LINKS):
            if href.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                bad_links.append(f"{url}: <{tag}> {href}")
                continue
            target, _ = urldefrag(urljoin(url, href))
            if not target.startswith(root):
                assert urlsplit(target).scheme in ("http", "https"), (url, href)
                continue  # an external address (DOI, PubMed): not followed, no network in tests
            if target.endswith(".html") and tag == "a":
                queue.append(target)
            elif target not in checked:
                with urllib.request.urlopen(target, timeout=10) as resource:
                    checked[target] = resource.status
                    resource.read()
    assert broken == [], broken[:10]
    assert bad_links == [], bad_links[:10]
    assert dialogs == [] and errors == [], (dialogs, errors)
    assert all(status == 200 for status in checked.values())
    # every kind of page was reached: studies, topics, designs, entries, fragments, feeds, search index
    script_page = f"{root}library/{_slug_of(bib, 'script2025')}.html"
    assert script_page in seen_pages and len(seen_pages) > 60
    for part in ("topics/", "designs/", "entries/", ".fragment.html"):
        assert any(part in u for u in seen_pages), part
    assert any(u.endswith(".rss.xml") for u in checked) and any(u.endswith(".ris") for u in checked)
    assert any(u.endswith("assets/search.js") for u in checked)
    # the hostile study's page shows its title as text
    page.goto(script_page)
    assert page.locator("h1").inner_text() == SCRIPT_TITLE
    assert page.locator("main script").count() == 0
    page.screenshot(path=str(ARTIFACTS / "publish-hostile-study.png"), full_page=True)
    assert dialogs == []


def test_search_finds_the_hostile_study_as_text(served: tuple[str, Path, Path], browser: Any) -> None:
    root, _, _ = served
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(root + "library/index.html")
    page.locator("#q").fill("alert mallory")  # the author is "Mallöry": words and text are folded alike
    result = page.locator("#search-results a")
    result.first.wait_for(timeout=15_000)
    assert result.count() == 1 and result.first.inner_text() == SCRIPT_TITLE
    page.locator("#q").fill("")  # results cleared, so the next wait cannot see this search's
    page.locator("#q").fill("ALERT MALLÖRY")
    page.wait_for_function("document.querySelector('#search-results p') && "
                           "document.querySelector('#search-results p').textContent.startsWith('1 ')")
    assert page.locator("#search-results a").count() == 1
    assert page.locator("#plain-list").is_hidden()
    page.locator("#q").fill("hysterosalpingography")  # title, abstract or topic words of the real studies
    page.locator("#search-results li").first.wait_for(timeout=15_000)
    assert page.locator("#search-results li").count() > 3
    result = page.locator("#search-results a").first
    href = result.get_attribute("href")
    result.click()
    page.wait_for_url(f"**/library/{href}")
    assert page.locator("h1").count() == 1
    page.screenshot(path=str(ARTIFACTS / "publish-search.png"), full_page=True)
    assert dialogs == []


def test_javascript_off_shows_the_plain_list(served: tuple[str, Path, Path], browser: Any) -> None:
    root, _, _ = served
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(root + "library/index.html")
    assert page.locator("#search").is_hidden()
    assert page.locator("#plain-list li").count() >= 37
    context.close()


def test_old_slug_lands_on_the_new_page(served: tuple[str, Path, Path], browser: Any) -> None:
    """A title edit keeps the address; an editor's new slug leaves a redirect at the old one."""
    root, bib, out = served
    from library.cli import main

    lib = Library.load(bib)
    record = lib.get("script2025")
    old_slug = record.extra["slug"]
    record.title = "Harmless corrected title"
    lib.update(record)
    lib.save()
    assert main(["--bib", str(bib), "publish", str(out)]) == 0
    assert _slug_of(bib, "script2025") == old_slug  # the title changed, the address did not
    page = browser.new_page()
    page.goto(f"{root}library/{old_slug}.html")
    assert page.locator("h1").inner_text() == "Harmless corrected title"
    lib = Library.load(bib)
    record = lib.get("script2025")
    record.extra["slug"] = "harmless-corrected-title"
    lib.update(record)
    lib.save()
    assert main(["--bib", str(bib), "publish", str(out)]) == 0
    page.goto(f"{root}library/{old_slug}.html")
    page.wait_for_url(f"{root}library/harmless-corrected-title.html", timeout=15_000)
    assert page.locator("h1").inner_text() == "Harmless corrected title"
