"""Stable, sanitized, unique slugs: the file names and URLs of published studies and topics.

A study's slug is made once from its title (ASCII letters, digits and hyphens only, at most 70 characters),
stored on the record in the ``slug`` field and never changed by reflib afterwards, so that its URL is stable
when the title is corrected. There is no automatic re-slugging (no ``--reslug``): an editor who wants a new
address edits the ``slug`` field; the next ``reflib publish`` keeps the address it last published in
``slug_old`` and serves a redirect page there. File names are built only from slugs that pass :func:`is_slug`,
never from raw record content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from ..textfold import fold

__all__ = ["MAX_LENGTH", "RESERVED", "is_slug", "make_unique", "slugify", "topic_slug", "unique_map"]

MAX_LENGTH = 70
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
RESERVED = frozenset({"index", "search", "feed", "assets", "page", "sitemap", "con", "nul", "aux", "prn"})


def slugify(text: str, fallback: str = "study", limit: int = MAX_LENGTH) -> str:
    """'Oil-Based or Water-Based Contrast for HSG' -> 'oil-based-or-water-based-contrast-for-hsg'."""
    ascii_text = fold(text).encode("ascii", "ignore").decode("ascii")  # fold: lower case, accents dropped
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    slug = slug.strip("-")
    return slug or fallback


def is_slug(text: str) -> bool:
    return bool(_SLUG.match(text)) and len(text) <= MAX_LENGTH + 12 and not _is_reserved(text)


_PAGE = re.compile(r"^page-\d+$")


def _is_reserved(slug: str) -> bool:
    return slug in RESERVED or (slug.startswith("page-") and bool(_PAGE.match(slug)))


def make_unique(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` ... whichever is free (and not reserved); adds it to ``taken``."""
    slug = base if is_slug(base) else slugify(base)
    candidate, n = slug, 1
    while candidate in taken or _is_reserved(candidate):
        n += 1
        candidate = f"{slug}-{n}"
    taken.add(candidate)
    return candidate


@lru_cache(maxsize=4096)
def topic_slug(path: str) -> str:
    """'Diagnostics > Tubal patency > SIS vs HSG' -> 'diagnostics--tubal-patency--sis-vs-hsg'."""
    return "--".join(slugify(part, "topic", 40) for part in path.split(">") if part.strip()) or "topic"


def unique_map(names: Iterable[str]) -> dict[str, str]:
    """name -> unique slug (topic paths or design names), in the order given."""
    taken: set[str] = set()
    return {name: make_unique(topic_slug(name), taken) for name in names}
