"""PubMed XML ``AuthorList`` -> Authors.

``LastName``/``ForeName`` (``Initials`` when there is no fore name; ``Suffix`` the name's suffix),
``CollectiveName`` -> ``Author(literal=...)``, ORCID identifiers kept, ``ValidYN="N"`` entries skipped.
:func:`list_authors` is the fast reading used for every journal article; :func:`read_author` is the plain
reading of one author that it must agree with (tests compare them on every corpus file).
"""

from __future__ import annotations

import re

from lxml import etree

from library.model import Author

from .xml_text import clean_text, leaf_text

__all__ = ["list_authors", "read_author", "read_authors"]

_ORCID = re.compile(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dXx])")


def read_author(element: etree._Element) -> Author | None:
    """One ``Author`` element (None for ``ValidYN="N"`` or no name): the plain reading of book authors and
    editors, and the reference :func:`list_authors` must agree with."""
    if element.get("ValidYN") == "N":
        return None
    family = fore = initials = suffix = collective = orcid = ""
    for child in element:  # one pass with plain comparisons: authors are most of a record's elements
        tag = child.tag
        if tag == "LastName":
            family = clean_text(child.text or "")
        elif tag == "ForeName":
            fore = clean_text(child.text or "")
        elif tag == "Initials":
            initials = clean_text(child.text or "")
        elif tag == "CollectiveName":
            collective = leaf_text(child)
        elif tag == "Suffix":
            suffix = clean_text(child.text or "")
        elif tag == "Identifier" and not orcid and child.get("Source") == "ORCID":
            match = _ORCID.search(child.text or "")
            orcid = "-".join(match.groups()).upper() if match else ""
    return _built_author(family, fore, initials, suffix, collective, orcid)


def read_authors(parent: etree._Element | None, kind: str = "authors") -> list[Author]:
    """Authors of the AuthorList(s) under ``parent`` whose Type is ``kind`` (no Type means authors)."""
    if parent is None:
        return []
    out: list[Author] = []
    for author_list in parent.iterchildren("AuthorList"):
        if (author_list.get("Type") or "authors") != kind:
            continue
        out.extend(a for a in (read_author(e) for e in author_list.iterchildren("Author")) if a is not None)
    return out




_AUTHORS: dict[tuple[str, str, str, str, str, str], Author | None] = {}  # raw name parts -> Author


# Initials are only used when there is no ForeName: read then, from the author's children (see _initials)
_AUTHOR_PARTS = ("Author", "LastName", "ForeName", "CollectiveName", "Suffix", "Identifier")


def list_authors(author_list: etree._Element, out: list[Author]) -> None:
    """The ``Author`` children of ``author_list``, read as :func:`read_author` reads each one, appended to ``out``.

    One pass over the list's elements of interest (lxml's filtered ``iter`` makes no Python object for the
    affiliations in between) instead of a loop over each author's children; an element counts only when its
    parent is the author being read. Each distinct raw name is built into an Author once (see _AUTHORS).
    """
    cache = _AUTHORS
    current = None
    valid = False
    family = fore = suffix = collective = orcid = ""
    for element in author_list.iter(_AUTHOR_PARTS):
        tag = element.tag
        if tag == "Author":
            if element.getparent() is not author_list:
                continue  # not one of this list's authors (nor are its parts: their parent is not ``current``)
            if valid:
                key = (family, fore, _initials(current) if not fore.strip() else "", suffix, collective, orcid)
                author = cache.get(key, _MISSING)
                if author is _MISSING:
                    author = _new_author(key)
                if author is not None:
                    out.append(author)  # type: ignore[arg-type]
            current = element
            valid = element.get("ValidYN") != "N"
            family = fore = suffix = collective = orcid = ""
        elif valid and element.getparent() is current:
            if tag == "LastName":
                family = element.text or ""
            elif tag == "ForeName":
                fore = element.text or ""
            elif tag == "Identifier":
                if not orcid and element.get("Source") == "ORCID":
                    match = _ORCID.search(element.text or "")
                    orcid = "-".join(match.groups()).upper() if match else ""
            elif tag == "CollectiveName":
                collective = leaf_text(element)
            else:  # Suffix
                suffix = element.text or ""
    if valid:
        key = (family, fore, _initials(current) if not fore.strip() else "", suffix, collective, orcid)
        author = cache.get(key, _MISSING)
        if author is _MISSING:
            author = _new_author(key)
        if author is not None:
            out.append(author)  # type: ignore[arg-type]


def _initials(author: etree._Element | None) -> str:
    """The text of the author's last Initials child (as read_author reads it), needed when it has no ForeName."""
    initials = ""
    if author is not None:
        for child in author:
            if child.tag == "Initials":
                initials = child.text or ""
    return initials


def _new_author(key: tuple[str, str, str, str, str, str]) -> Author | None:
    family, fore, initials, suffix, collective, orcid = key
    if len(_AUTHORS) >= 1 << 16:
        _AUTHORS.clear()
    author = _AUTHORS[key] = _built_author(clean_text(family), clean_text(fore), clean_text(initials),
                                           clean_text(suffix), collective, orcid)
    return author


_MISSING = object()


def _built_author(family: str, fore: str, initials: str, suffix: str, collective: str, orcid: str) -> Author | None:
    if collective:
        return Author(literal=collective)
    if not family:
        return None
    return Author(family=family, given=fore or initials, orcid=orcid, suffix=suffix)


