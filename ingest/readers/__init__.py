"""File readers: a registry of formats, detection by content, and :func:`read_file`.

Formats (``--format`` names): ``bibtex`` (BibTeX and BibLaTeX), ``ris`` (PubMed, Scopus, Web of Science,
EndNote, Ovid, EBSCO, Zotero, Dimensions ... flavours), ``wos`` (Web of Science / ISI tagged export,
``PT``/``ER`` records), ``medline`` (PubMed MEDLINE text, ``.nbib``), ``csl-json`` (CSL-JSON, also Crossref's
content-negotiation variant), ``crossref-json`` (Crossref REST API responses), ``pubmed-xml`` (PubMed
EFetch XML) and ``csv`` (a header row; see :mod:`ingest.readers.csv`).

Detection looks at the content first: the earliest structural marker wins (an ``@type{`` line, a ``TY  -``
line, a ``PMID-`` line, a JSON document, an XML root ...), so a RIS file called ``export.txt`` or a BibTeX file
called ``refs.ris`` is read correctly; the file name only decides between formats the content cannot tell
apart. Readers are imported lazily so that a missing optional reader does not break the others.
"""

from __future__ import annotations

import codecs
import importlib
import io
import os
import re
import stat as stat_mod
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from library.atomic import file_kind

from ..base import ReadError, ReadResult
from . import compressed, json_stream, limits

__all__ = ["FORMATS", "Format", "decode_text", "detect_format", "read_data", "read_file", "read_stream"]


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    module: str
    function: str
    extensions: tuple[str, ...]
    description: str
    stream_function: str = ""  # a reader of an open binary file, for formats read without holding the file


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("bibtex", "ingest.readers.bibtex", "read_bibtex", (".bib", ".bibtex", ".biblatex"), "BibTeX / BibLaTeX"),
    Format("ris", "ingest.readers.ris", "read_ris", (".ris",), "RIS (any exporter)"),
    Format("wos", "ingest.readers.ris", "read_wos", (".ciw", ".isi"), "Web of Science tagged export"),
    Format("medline", "ingest.readers.medline", "read_medline", (".nbib", ".medline"), "PubMed MEDLINE text"),
    Format("csl-json", "ingest.readers.csljson", "read_csl_json", (".json",), "CSL-JSON"),
    Format("crossref-json", "ingest.readers.crossref_json", "read_crossref_json", (), "Crossref REST JSON"),
    Format("pubmed-xml", "ingest.readers.pubmed_xml", "read_pubmed_xml", (".xml",), "PubMed XML",
           "read_pubmed_stream"),
    Format("csv", "ingest.readers.csv", "read_csv", (".csv", ".tsv"), "CSV with a header row"),
)}

Reader = Callable[..., ReadResult]


def reader_for(name: str, *, stream: bool = False) -> Reader:
    """The reader function of a format (its stream reader with ``stream``); ReadError when that reader is not
    available."""
    spec = FORMATS.get(name)
    if spec is None:
        raise ReadError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        if exc.name == spec.module:
            raise ReadError(f"the {spec.description} reader ({spec.module}) is not installed") from exc
        raise
    function: Reader = getattr(module, spec.stream_function if stream else spec.function)
    return function


# --- decoding -------------------------------------------------------------------------------------------------
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _looks_binary(data: bytes) -> int | None:
    """Offset of a NUL or other control byte that text files do not contain, or None (the whole input is
    searched: a NUL after the first block is as much a sign of a broken file)."""
    match = _CONTROL.search(data)
    return match.start() if match else None


def binary_error(data: bytes, offset: int, source: str) -> ReadError:
    line = data.count(b"\n", 0, offset) + 1
    return ReadError(f"{source}: binary data, not a bibliography file (byte 0x{data[offset]:02x} at offset "
                     f"{offset}, line {line})")


_CODING = re.compile(rb"coding[:=]\s*([-\w.]+)")


def _declared_encoding(data: bytes) -> str | None:
    """An Emacs/Python-style ``coding: latin-1`` declaration in the first two lines (biber's test files)."""
    match = _CODING.search(b"\n".join(data.split(b"\n", 2)[:2]))
    if match is None:
        return None
    name = re.sub(r"-(?:unix|dos|mac)$", "", match.group(1).decode("ascii", "replace").lower())
    for candidate in (name, name.replace("-", ""), name.replace("-", "_")):
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            continue
    return None


def decode_text(data: bytes, source: str, encoding: str | None = None) -> str:
    """Bytes -> text (BOM removed, newlines unified); ReadError naming the file for binary or non-UTF-8 data."""
    if encoding:
        try:
            text = data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise ReadError(f"{source}: cannot decode as {encoding}: {exc}") from exc
    else:
        bom = next((name for mark, name in _BOMS if data.startswith(mark)), None)
        if bom == "utf-16":
            text = data.decode("utf-16", errors="replace")
        else:
            offset = _looks_binary(data)
            if offset is not None:
                raise binary_error(data, offset, source)
            try:
                text = data.decode(bom or "utf-8")
            except UnicodeDecodeError as exc:
                declared = _declared_encoding(data)
                if declared:
                    return decode_text(data, source, declared)
                line = data.count(b"\n", 0, exc.start) + 1
                raise ReadError(f"{source}: not UTF-8 text (line {line}, byte 0x{data[exc.start]:02x}); "
                                "give its encoding with --encoding (e.g. latin-1, cp1252, gbk)") from exc
    nul = text.find("\x00")
    if nul >= 0:  # UTF-16 or a named encoding: the NUL shows after decoding
        raise ReadError(f"{source}: binary data, not a bibliography file (a NUL character on line "
                        f"{text.count(chr(10), 0, nul) + 1})")
    text = text.lstrip("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# --- detection ------------------------------------------------------------------------------------------------
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ris", re.compile(r"^[ \t\ufeff]*TY  -", re.MULTILINE)),
    ("wos", re.compile(r"^(?:FN (?:Clarivate|Thomson|ISI)|PT [A-Z]\s*$)", re.MULTILINE)),
    ("medline", re.compile(r"^(?:PMID- ?\d|[A-Z]{3,4} ?- \S.*\n(?:[A-Z]{2,4} *- |      \S))", re.MULTILINE)),
    ("bibtex", re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.MULTILINE)),
)
_PUBMED_XML = re.compile(rb"<(?:PubmedArticleSet|PubmedArticle|PubmedBookArticle|MedlineCitation)\b")


def _detect_json(data: bytes, filename: str) -> str:
    try:  # the whole document is checked, its item lists one item at a time (json_stream)
        document = json_stream.loads(data.decode("utf-8-sig"), ((), ("message", "items")))
    except RecursionError as exc:
        raise ReadError(f"{filename}: JSON nested too deeply to be a bibliography; refused") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReadError(f"{filename}: looks like JSON but is not valid JSON ({exc})") from exc
    if isinstance(document, dict) and ("message-type" in document or "message" in document):
        return "crossref-json"
    items = document if isinstance(document, json_stream.LazyArray) else [document]
    if items and isinstance(items[0], dict) and any(
            k in items[0] for k in ("type", "title", "author", "DOI", "issued", "container-title")):
        return "csl-json"
    raise ReadError(f"{filename}: JSON, but neither CSL-JSON items nor a Crossref API response")


_HEAD = 262144  # bytes that content detection looks at (JSON aside, which is parsed whole)


def _head(data: bytes) -> bytes:
    head = data[:_HEAD].lstrip(b" \t\r\n")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):].lstrip(b" \t\r\n")
    return head


def _is_xml(head: bytes) -> bool:
    return re.match(rb"<[?!A-Za-z]", head) is not None


def detect_format(data: bytes, filename: str) -> str:
    """The format name of ``data`` by its content (file name only as a tie-breaker); ReadError if unknown."""
    head = _head(data)
    if not head:
        raise ReadError(f"{filename}: empty file")
    if _is_xml(head):
        if _PUBMED_XML.search(data[:65536]):
            return "pubmed-xml"
        raise ReadError(f"{filename}: XML, but not PubMed XML (for EndNote or Mendeley XML, export RIS instead)")
    if head[:1] in (b"{", b"["):
        return _detect_json(data, filename)
    offset = _looks_binary(head) if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else None
    if offset is not None:
        raise binary_error(head, offset, filename)
    text = head.decode("utf-16" if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8",
                       errors="replace")
    found = [(m.start(), name) for name, pattern in _MARKERS if (m := pattern.search(text)) is not None]
    if found:
        return min(found)[1]
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".tsv") or _looks_like_csv(text):
        return "csv"
    by_extension = [f.name for f in FORMATS.values() if suffix in f.extensions]
    if by_extension:
        return by_extension[0]
    raise ReadError(f"{filename}: unknown format (not BibTeX, RIS, MEDLINE, Web of Science, CSL-JSON, PubMed XML "
                    "or CSV); name it with --format")


def _looks_like_csv(text: str) -> bool:
    lines = [line for line in text.splitlines()[:5] if line.strip()]
    if len(lines) < 2:
        return False
    for sep in (",", "\t", ";"):
        first = lines[0].count(sep)
        if first >= 2 and re.search(r"(?i)\btitle\b", lines[0]):
            return True
    return False


# --- reading --------------------------------------------------------------------------------------------------
def read_data(data: bytes, source: str, fmt: str = "auto", *, encoding: str | None = None,
              columns: Mapping[str, str] | None = None) -> ReadResult:
    """Read bytes in a named or detected format (gzip-compressed bytes are decompressed first); ReadError when
    nothing can be read."""
    return read_stream(io.BytesIO(data), source, fmt, encoding=encoding, columns=columns)


def read_file(path: str | Path, fmt: str = "auto", *, encoding: str | None = None,
              columns: Mapping[str, str] | None = None) -> ReadResult:
    """Read one file; ReadError (naming the file) when it cannot be read at all (see :func:`read_stream`)."""
    path = Path(path)
    try:
        kind = path.stat().st_mode
        if not stat_mod.S_ISREG(kind) and not stat_mod.S_ISDIR(kind):
            raise ReadError(f"{path}: is {file_kind(kind)}, not a file; refused (it could block or never end)")
        with path.open("rb") as handle:
            return read_stream(handle, str(path), fmt, encoding=encoding, columns=columns)
    except IsADirectoryError as exc:
        raise ReadError(f"{path}: is a directory") from exc
    except OSError as exc:
        raise ReadError(f"{path}: cannot read ({exc.strerror})") from exc


def read_stream(handle: BinaryIO, source: str, fmt: str = "auto", *, encoding: str | None = None,
                columns: Mapping[str, str] | None = None) -> ReadResult:
    """Read an open binary file (a file, standard input, uploaded bytes); ReadError when nothing can be read.

    The format is known from the first 256 kB (JSON aside), before the rest is read: an unknown or binary
    input is refused at once. A format with a stream reader (PubMed XML) is read from the open file, so a
    baseline-sized file is never held in memory; any other input is read into memory, within the limits of
    :mod:`ingest.readers.limits`, checked while it is read. Gzip-compressed input is decompressed as it is read
    (PubMed XML into a temporary file, at most :data:`compressed.LIMIT`; the others into memory, at most
    :func:`limits.max_input`), so a small file that expands without end is refused early.
    """
    head = handle.read(_HEAD)
    if not head.startswith(compressed.MAGIC):
        return _read_plain(handle, head, source, fmt, encoding, columns)
    gz = compressed.GunzipStream(_Joined(head, handle), source)
    plain = io.BufferedReader(gz, 1 << 20)
    try:
        result = _read_plain(plain, plain.read(_HEAD), source, fmt, encoding, columns, gz)
    except ReadError as exc:
        if gz.truncated:
            raise ReadError(f"{exc} ({compressed.truncated(source).message})") from exc
        raise
    if gz.truncated:
        result.problems.append(compressed.truncated(source))
    return result


class _Joined:
    """``first``, then the rest of ``rest``: the head already read, put back in front of its file."""

    def __init__(self, first: bytes, rest: BinaryIO) -> None:
        self.first, self.rest = first, rest

    def read(self, size: int = -1) -> bytes:
        if not self.first:
            return self.rest.read(size)
        if size < 0:
            out, self.first = self.first + self.rest.read(), b""
        else:
            out, self.first = self.first[:size], self.first[size:]
        return out


def _read_plain(handle: BinaryIO, head: bytes, source: str, fmt: str, encoding: str | None,
                columns: Mapping[str, str] | None, gz: compressed.GunzipStream | None = None) -> ReadResult:
    name = _streamed_format(head, fmt, source)
    if name:
        return _read_streamed(handle, head, source, name)
    if fmt == "auto" and head.lstrip()[:1] not in (b"{", b"["):  # JSON is detected from the whole document
        fmt = detect_format(head, source)
    limit = limits.max_input()
    if gz is not None:
        gz.limit = limit  # read into memory: the smaller limit, from now on
        if not (head.startswith(codecs.BOM_UTF8) or head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            _refuse_binary(head, source)
    else:
        size = _size_of(handle)
        if size is not None and size > limit:
            raise limits.too_large(source, limit)
    try:
        # records counted as they are read (their markers; not through another encoding): a file with too many
        # is refused without being held
        data = limits.read_rest(handle, head, source, limit, fmt if encoding is None else "")
    except ReadError as exc:
        if gz is not None and "of input" in str(exc):
            raise compressed.too_big(source, limit) from exc
        raise
    return _read_bytes(data, source, fmt, encoding, columns)


def _refuse_binary(head: bytes, source: str) -> None:
    offset = _looks_binary(head)
    if offset is not None:
        raise binary_error(head, offset, source)


def _size_of(handle: BinaryIO) -> int | None:
    try:
        return os.fstat(handle.fileno()).st_size if stat_mod.S_ISREG(os.fstat(handle.fileno()).st_mode) else None
    except (AttributeError, OSError, io.UnsupportedOperation):
        return len(handle.getbuffer()) if isinstance(handle, io.BytesIO) else None


def _read_streamed(handle: BinaryIO, head: bytes, source: str, name: str) -> ReadResult:
    """Read with the format's stream reader from the first byte: from the file itself when it can seek back,
    else from a temporary copy (the decompressed data of a gzip file, standard input) it can seek in."""
    reader = reader_for(name, stream=True)
    if getattr(handle, "seekable", lambda: False)():
        handle.seek(0)
        return _usable(reader(handle, source), name)
    with tempfile.TemporaryFile(prefix="reflib-input-") as copy:
        copy.write(head)
        copied = len(head)
        while block := handle.read(1 << 20):  # a pipe that never ends must not fill the disk
            copied += len(block)
            if copied > compressed.LIMIT:
                raise limits.too_large(source, compressed.LIMIT)
            copy.write(block)
        copy.seek(0)
        return _usable(reader(copy, source), name)


def _read_bytes(data: bytes, source: str, fmt: str, encoding: str | None,
                columns: Mapping[str, str] | None) -> ReadResult:
    if encoding and data.lstrip()[:1] != b"<":
        data = decode_text(data, source, encoding).encode("utf-8")
    name = fmt if fmt != "auto" else detect_format(data, source)
    limits.count_check(data, name, source)
    reader = reader_for(name)
    result = reader(data, source, columns=columns) if name == "csv" else reader(data, source)
    result.records, too_big = limits.check_records(result.records, source, len(data))
    result.problems.extend(too_big)
    return _usable(result, name)


def _usable(result: ReadResult, name: str) -> ReadResult:
    """The result, its format named; ReadError when a fatal problem left no record."""
    result.format = result.format or name
    if not result.records and any(p.fatal for p in result.problems):
        raise ReadError(next(str(p) for p in result.problems if p.fatal))
    return result


def _streamed_format(head: bytes, fmt: str, source: str) -> str:
    """The format of a file with this head when it has a stream reader, else ''. Only markup is detected from
    the head alone (as :func:`detect_format` does for any file); encodings do not apply to XML."""
    if fmt == "auto":
        if not _is_xml(_head(head)):
            return ""
        fmt = detect_format(head, source)
    spec = FORMATS.get(fmt)
    return fmt if spec is not None and spec.stream_function else ""
