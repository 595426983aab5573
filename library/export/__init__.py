"""Bibliography exports: BibTeX/BibLaTeX, RIS, CSL-JSON, CSV and formatted AMA / Vancouver / APA / MLA.

:func:`export_records` is the one entry point the CLI (``reflib export``) and the dashboard use; the ``to_*``
functions of the submodules are pure and can be used on their own. Exports never fail on an incomplete record:
it comes out with what it has and :attr:`ExportResult.warnings` says what was missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from ..model import Record
from .biblatex import to_biblatex
from .bibtex import bibtex_key, to_bibtex
from .citeproc import (
    ENGINES,
    OUTPUTS,
    STYLES,
    cite_many,
    cite_this,
    compiled_coverage,
    format_bibliography,
    format_citation,
    format_csl_items,
    render_bibliography,
)
from .csljson import to_csl_json, validate_csl_json
from .csv import to_csv
from .parts import ExportResult, UnknownFormatError
from .requirements import bibtex_warnings
from .ris import to_ris

__all__ = [
    "DATA_FORMATS",
    "ENGINES",
    "FORMATS",
    "OUTPUTS",
    "STYLE_FORMATS",
    "ExportResult",
    "UnknownFormatError",
    "cite_many",
    "cite_this",
    "compiled_coverage",
    "export_records",
    "format_bibliography",
    "format_citation",
    "format_csl_items",
    "format_name",
    "to_biblatex",
    "to_bibtex",
    "to_csl_json",
    "to_csv",
    "to_ris",
    "validate_csl_json",
]

STYLE_FORMATS = tuple(STYLES)  # ama, vancouver, apa, mla
DATA_FORMATS = ("bibtex", "biblatex", "ris", "csl-json", "csv")
FORMATS = DATA_FORMATS + STYLE_FORMATS
_ALIASES = {"bib": "bibtex", "csljson": "csl-json", "json": "csl-json", "nlm": "vancouver"}

_MIME = {"bibtex": ("application/x-bibtex", "bib"), "biblatex": ("application/x-bibtex", "bib"),
         "ris": ("application/x-research-info-systems", "ris"),
         "csl-json": ("application/vnd.citationstyles.csl+json", "json"), "csv": ("text/csv", "csv")}
_OUTPUT_MIME = {"text": ("text/plain", "txt"), "md": ("text/markdown", "md"), "html": ("text/html", "html")}


def format_name(fmt: str) -> str:
    """Normalize a format name ('BibTeX', 'csl_json', 'nlm' ...); UnknownFormatError lists the valid ones."""
    name = fmt.strip().lower().replace("_", "-")
    name = _ALIASES.get(name, name)
    if name not in FORMATS:
        raise UnknownFormatError("format", fmt, FORMATS)
    return name


def _join_bibliography(entries: list[str], output: str, numbered: bool) -> str:
    if output == "html":
        body = "\n".join(f'  <div class="csl-entry">{entry}</div>' for entry in entries)
        return f'<div class="csl-bib-body">\n{body}\n</div>\n' if entries else ""
    separator = "\n" if output == "md" and numbered else "\n\n"
    return separator.join(entries) + ("\n" if entries else "")


def _json_lines(items: list[dict[str, object]]) -> str:
    """A JSON array with one item per line: readable and diffable, and json's C encoder (no ``indent``) keeps
    10k records well under a second."""
    if not items:
        return "[]\n"
    return "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in items) + "\n]\n"


def _data_export(records: Sequence[Record], fmt: str, keep_custom: bool) -> tuple[str, list[str]]:
    writers: dict[str, Callable[[], str]] = {
        "bibtex": lambda: to_bibtex(records, keep_custom),
        "biblatex": lambda: to_biblatex(records, keep_custom),
        "ris": lambda: to_ris(records),
        "csl-json": lambda: _json_lines(to_csl_json(records, keep_custom)),
        "csv": lambda: to_csv(records),
    }
    warnings: list[str] = []
    if fmt in ("bibtex", "biblatex"):
        warnings = [w for record in records for w in bibtex_warnings(record, fmt)]
        warnings += [f"{r.key}: citation key written as {bibtex_key(r.key)!r} (BibTeX cannot read the original)"
                     for r in records if bibtex_key(r.key) != r.key]
    return writers[fmt](), warnings


def export_records(records: Sequence[Record], fmt: str, *, output: str = "text",
                   keep_custom: bool = False) -> ExportResult:
    """Export ``records`` (in the order given) as ``fmt`` (one of :data:`FORMATS`).

    ``output`` ("text", "md", "html") applies to the formatted styles; ``keep_custom`` keeps reflib's evidence
    fields in BibTeX/BibLaTeX (as fields) and CSL-JSON (under ``custom``). Raises :class:`UnknownFormatError`
    for an unknown format or output name.
    """
    name = format_name(fmt)
    if output not in OUTPUTS:
        raise UnknownFormatError("output", output, OUTPUTS)
    seen: set[str] = set()
    warnings: list[str] = []
    for record in records:
        if record.key in seen:
            warnings.append(f"{record.key}: the key occurs more than once in this export")
        if record.retracted:  # the exported files and citations carry no mark of it: the one who exports is told
            warnings.append(f"{record.key}: this study is retracted; check before citing it")
        seen.add(record.key)
    if name in STYLE_FORMATS:
        entries, problems = render_bibliography(records, name, output)
        text = _join_bibliography(entries, output, numbered=name in ("ama", "vancouver"))
        mime, extension = _OUTPUT_MIME[output]
        return ExportResult(text, warnings + problems, mime, extension)
    text, problems = _data_export(records, name, keep_custom)
    mime, extension = _MIME[name]
    return ExportResult(text, warnings + problems, mime, extension)
