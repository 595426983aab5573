"""``reflib publish --serve``: a local preview of the published folder (standard library HTTP server)."""

from __future__ import annotations

import functools
import http.server
import io
import os
from pathlib import Path
from typing import BinaryIO

__all__ = ["make_server"]


_TYPES = {".xml": "application/xml", ".jsonl": "application/jsonl", ".ris": "application/x-research-info-systems",
          ".json": "application/json", ".js": "text/javascript"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return _TYPES.get(Path(str(path)).suffix) or super().guess_type(path)

    def send_head(self) -> io.BytesIO | BinaryIO | None:
        # a preview is republished while it is open, often within the second of the page's last fetch, and
        # If-Modified-Since compares whole seconds: always send the current file (no 304), never cached
        del self.headers["If-Modified-Since"]
        return super().send_head()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def make_server(folder: Path, port: int = 8000, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    """A server for ``folder`` on ``host:port`` (0 = any free port); call ``serve_forever()``."""
    handler = functools.partial(_Handler, directory=str(folder))
    return http.server.ThreadingHTTPServer((host, port), handler)
