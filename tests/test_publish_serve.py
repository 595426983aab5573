"""``reflib publish --serve``'s preview server always sends the file as it is now (a republish within the same
second as the browser's last fetch must not be answered with 304 Not Modified)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest
import requests

from library.publish.serve import make_server


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    server = make_server(tmp_path, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", tmp_path
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_rewritten_within_the_second_is_sent_again(preview: tuple[str, Path]) -> None:
    url, folder = preview
    (folder / "page.html").write_text("<p>old</p>", encoding="utf-8")
    first = requests.get(url + "page.html", timeout=5)
    assert first.status_code == 200 and first.text == "<p>old</p>"
    assert first.headers["Cache-Control"] == "no-store"
    (folder / "page.html").write_text("<p>new</p>", encoding="utf-8")
    # what a browser sends when it revalidates: the last fetch's date (here: one hour ahead, so the stock server
    # would answer 304 whatever the file's mtime)
    again = requests.get(url + "page.html", timeout=5,
                         headers={"If-Modified-Since": formatdate(time.time() + 3600, usegmt=True)})
    assert again.status_code == 200 and again.text == "<p>new</p>"

