"""Editorial rules of the published site, read from ``publish.toml`` (beside the library, or ``--config``).

Every setting is optional; the defaults publish everything::

    site_title = "RRM Academy — Research library"
    base_url = "https://example.org/research/"   # absolute http(s) URL the site is served from; used for
                                                 # canonical links, feeds, sitemap and JSON-LD ("" = relative only)
    description = "Studies behind the encyclopedia"
    # which verification statuses publish: "verified" (unverified = none), "unverified" (some fields still to
    # check) and "unknown" (no unverified field at all)
    statuses = ["verified", "unverified", "unknown"]
    unverified_note = true            # pages of unverified studies say "details not yet verified"
    # studies with these stances stay out of topic and design pages (browse) and their feeds, but stay in the
    # library list, search, entry blocks and their own pages
    browse_exclude_stances = ["hostile"]
    page_size = 200                   # studies per list page
    feed_size = 50                    # items per feed

Unknown keys and bad values are errors naming the line; nothing is written then.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..evidence.tomlfile import EvidenceFileError, FileProblem, find_beside, parse_toml, read_text

__all__ = ["CONFIG_FILE", "STATUSES", "PublishConfig", "PublishConfigError", "config_for", "load_config",
           "parse_config"]

CONFIG_FILE = "publish.toml"
STATUSES = ("verified", "unverified", "unknown")
STANCES = ("supportive", "neutral", "critical", "hostile")


class PublishConfigError(EvidenceFileError):
    """``publish.toml`` is malformed; every problem carries its line."""


@dataclass(frozen=True)
class PublishConfig:
    site_title: str = "Research library"
    base_url: str = ""
    description: str = "Studies of the encyclopedia's research library"
    statuses: tuple[str, ...] = STATUSES
    unverified_note: bool = True
    browse_exclude_stances: tuple[str, ...] = ()
    page_size: int = 200
    feed_size: int = 50
    path: str = field(default="", compare=False)

    def fingerprint(self) -> str:
        data = asdict(self)
        data.pop("path")
        return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def absolute(self, path: str) -> str:
        """'library/x.html' -> base_url + path, or '' without a base URL."""
        return self.base_url + path if self.base_url else ""


def _line(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith(key):
            return number
    return 0


def parse_config(text: str, path: str = CONFIG_FILE) -> PublishConfig:
    try:
        data = parse_toml(text, path)
    except EvidenceFileError as exc:
        raise PublishConfigError(exc.problems) from exc
    problems: list[FileProblem] = []
    values: dict[str, object] = {}

    def bad(key: str, message: str) -> None:
        problems.append(FileProblem(path, _line(text, key), message))

    known = {"site_title", "base_url", "description", "statuses", "unverified_note", "browse_exclude_stances",
             "page_size", "feed_size"}
    for key, value in data.items():
        if key not in known:
            bad(key, f"unknown setting {key!r}; valid: {', '.join(sorted(known))}")
        elif key in ("site_title", "description"):
            if not isinstance(value, str) or not value.strip():
                bad(key, f"{key} must be a non-empty string")
            else:
                values[key] = " ".join(value.split())
        elif key == "base_url":
            parts = urlsplit(value) if isinstance(value, str) else None
            if isinstance(value, str) and value == "":
                values[key] = ""
            elif parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                bad(key, "base_url must be an absolute http(s) URL (or \"\")")
            else:
                values[key] = value if value.endswith("/") else value + "/"
        elif key in ("statuses", "browse_exclude_stances"):
            allowed = STATUSES if key == "statuses" else STANCES
            if not isinstance(value, list) or any(v not in allowed for v in value):
                bad(key, f"{key} must be a list of: {', '.join(allowed)}")
            else:
                values[key] = tuple(value)
        elif key == "unverified_note":
            if not isinstance(value, bool):
                bad(key, "unverified_note must be true or false")
            else:
                values[key] = value
        elif not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000:
            bad(key, f"{key} must be a whole number from 1 to 10000")
        else:
            values[key] = value
    if problems:
        raise PublishConfigError(problems)
    return PublishConfig(**values, path=path)  # type: ignore[arg-type]


def load_config(path: str | os.PathLike[str]) -> PublishConfig:
    file = Path(path)
    try:
        text = read_text(file)
    except EvidenceFileError as exc:
        raise PublishConfigError(exc.problems) from exc
    return parse_config(text, str(file))


def config_for(bib_path: str | os.PathLike[str] | None) -> PublishConfig:
    """``$REFLIB_PUBLISH_CONFIG``, else ``publish.toml`` beside the library, else the bundled one, else defaults."""
    path = find_beside(bib_path, CONFIG_FILE, "REFLIB_PUBLISH_CONFIG")
    return load_config(path) if path is not None else PublishConfig()
