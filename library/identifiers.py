"""Identifier normalization: DOI, PMID, PMCID.

DOIs are case-insensitive by definition (ISO 26324), so comparison uses a lower-cased key while the text shown
to people keeps the case the source gave. Anything that does not look like an identifier is reported with
:class:`InvalidIdentifier` instead of being dropped: the caller decides whether to keep the raw value.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from .errors import InputError

__all__ = [
    "InvalidIdentifier",
    "doi_key",
    "normalize_doi",
    "normalize_pmcid",
    "normalize_pmid",
    "pmcid_key",
    "validate_identifier",
]


class InvalidIdentifier(InputError):
    """An identifier value that cannot be a DOI / PMID / PMCID; the message says which and why (a ValueError too)."""

    def __init__(self, kind: str, value: str, reason: str) -> None:
        super().__init__(f"invalid {kind} {value!r}: {reason}")
        self.kind = kind
        self.value = value
        self.reason = reason


_DOI_PREFIXES = re.compile(
    r"^\s*(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*|https?://(?:www\.)?doi\.org/|info:doi/)",
    re.IGNORECASE,
)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")


# a DOI already in normalized form (no prefix, no surrounding space, no %-escape, no trailing ".;,"): what the
# general path below would return unchanged; checked first because most DOIs in files already look like this
_BARE_DOI = re.compile(r"10\.\d{4,9}/[^\s%]*[^\s%.;,]")


def normalize_doi(value: str) -> str:
    """Return the bare DOI (``10.xxxx/...``) with its original case; raise InvalidIdentifier otherwise."""
    if _BARE_DOI.fullmatch(value):
        return value
    text = value.strip()
    previous = None
    while previous != text:  # "doi: https://doi.org/10..." happens in exports
        previous = text
        text = _DOI_PREFIXES.sub("", text).strip()
    if "%2F" in text.upper():
        text = unquote(text)
    text = text.rstrip(".;,")
    if not _DOI_SHAPE.match(text):
        raise InvalidIdentifier("DOI", value, "expected 10.<registrant>/<suffix>")
    return text


def doi_key(value: str) -> str:
    """The comparison key of a DOI: normalized and lower-cased (DOIs are case-insensitive)."""
    return normalize_doi(value).lower()


_PMID_PREFIX = re.compile(r"^\s*(?:pmid|pubmed(?:\s*id)?)\s*[:=]?\s*", re.IGNORECASE)
_PMID_URL = re.compile(r"^\s*https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/(\d+)/?\s*$")


def normalize_pmid(value: str | int) -> str:
    """Return the PMID as a string of digits without leading zeros."""
    if type(value) is str and value.isdecimal() and value.isascii() and value[0] != "0" and len(value) <= 8:
        return value  # already normalized: what the general path below would return
    text = str(value)
    url = _PMID_URL.match(text)
    if url:
        text = url.group(1)
    text = _PMID_PREFIX.sub("", text).strip()
    if not text.isdecimal() or not text.isascii():
        raise InvalidIdentifier("PMID", str(value), "expected digits only")
    number = int(text)
    if number <= 0 or number > 99_999_999:
        raise InvalidIdentifier("PMID", str(value), "out of range 1..99999999")
    return str(number)


_PMCID = re.compile(r"^\s*(?:pmcid\s*[:=]?\s*)?(?:https?://\S*/)?(?:PMC)?(\d{1,9})(\.\d{1,3})?/?\s*$", re.IGNORECASE)


def normalize_pmcid(value: str) -> str:
    """Return the PMCID as ``PMC`` + digits, with its version when the source gives one (``PMC6134338.4``).

    PubMed Central numbers the versions of an article (F1000Research, Wellcome Open Research ...): a PubMed
    baseline file lists ``PMC6134338.4`` for version 4. A version is valid and kept; :func:`pmcid_key` drops it
    for comparisons (every version is the same article).
    """
    if type(value) is str and value[:3] == "PMC" and value[3:].isdecimal() and value[3:].isascii() and (
            value[3] != "0" and len(value) <= 12):
        return value  # already normalized: what the general path below would return
    match = _PMCID.match(str(value))
    if not match or int(match.group(1)) == 0:
        raise InvalidIdentifier("PMCID", str(value), "expected PMC followed by digits (and an optional .version)")
    version = match.group(2) or ""
    return f"PMC{int(match.group(1))}" + (f".{int(version[1:])}" if version else "")


def pmcid_key(value: str) -> str:
    """The comparison key of a PMCID: normalized, without its version; '' when absent or invalid."""
    if not value:
        return ""
    try:
        return normalize_pmcid(value).partition(".")[0]
    except InvalidIdentifier:
        return ""


_NORMALIZERS = {"doi": normalize_doi, "pmid": normalize_pmid, "pmcid": normalize_pmcid}


def validate_identifier(kind: str, value: str) -> str | None:
    """Return a problem message for an invalid identifier, or None when it is valid."""
    try:
        _NORMALIZERS[kind](value)
    except InvalidIdentifier as exc:
        return str(exc)
    return None
