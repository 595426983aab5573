"""JSON files kept beside the library (review decisions, saved merges): read with their format checked.

Each starts with ``"format"`` and ``"version"``; a file of another format or version is refused with a message
that names it, rather than being read wrongly or overwritten.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import LibraryError

__all__ = ["read_sidecar"]


def read_sidecar(path: Path, fmt: str, version: int, what: str, error: type[LibraryError]) -> dict[str, object] | None:
    """The file's JSON object, or None when there is no file; ``error`` (naming the file) when it is unusable."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path}: cannot read the {what} ({exc}); fix or delete the file") from exc
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise error(f"{path}: not a reflib {what} (expected \"format\": \"{fmt}\")")
    if data.get("version") != version:
        raise error(f"{path}: unsupported version {data.get('version')!r} (this reflib reads {version})")
    return data
