"""Hostile inputs for ``reflib import`` (a gzip bomb, one huge record, a million tiny entries) and a runner that
measures the peak memory (RSS) of the import in its own process.

Used by ``tests/test_input_limits.py`` (small sizes, low limits) and ``benchmarks/bench_limits.py`` (full sizes,
default limits). ``python -m benchmarks.hostile_inputs FOLDER`` writes the full-size files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TINY_FORMATS", "Run", "gzip_bomb", "one_article_pubmed", "one_line_medline", "run_import", "run_read",
           "tiny_bibtex", "tiny_records"]

ROOT = Path(__file__).resolve().parent.parent

# the CLI in a child process that reports its own peak RSS (kB) on its last stderr line. VmHWM, not ru_maxrss:
# Linux carries ru_maxrss over fork and exec, so a child of a big process (pytest after a thousand tests) would
# report its parent's size; VmHWM belongs to the memory map the exec created.
_CHILD = """
import sys
from library.cli import main

def peak():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

try:
    code = main(sys.argv[1:])
finally:
    sys.stderr.write("\\nMAXRSS %d\\n" % peak())
sys.exit(code)
"""


# a reader alone in a child process: the records it read on stdout, its peak RSS as above
_READ_CHILD = """
import sys
from ingest.base import ReadError
from ingest.readers import read_file

def peak():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

code = 0
try:
    print(len(read_file(sys.argv[1]).records))
except ReadError as exc:
    print(exc, file=sys.stderr)
    code = 1
sys.stderr.write("\\nMAXRSS %d\\n" % peak())
sys.exit(code)
"""


@dataclass(frozen=True, slots=True)
class Run:
    code: int
    stdout: str
    stderr: str  # without the MAXRSS line
    rss_mb: float
    seconds: float


def run_import(library: Path, *args: str, stdin: Path | None = None, env: dict[str, str] | None = None,
               timeout: float = 900) -> Run:
    """``reflib --bib LIBRARY import ARGS`` in a child process; its exit code, output, peak RSS and time."""
    return _run([sys.executable, "-c", _CHILD, "--bib", str(library), "import", *args], stdin, env, timeout)


def run_read(path: Path, env: dict[str, str] | None = None, timeout: float = 900) -> Run:
    """``read_file(PATH)`` alone (no import) in a child process: records read (stdout), peak RSS and time."""
    return _run([sys.executable, "-c", _READ_CHILD, str(path)], None, env, timeout)


def _run(command: list[str], stdin: Path | None, env: dict[str, str] | None, timeout: float) -> Run:
    started = time.perf_counter()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as feed:
        done = subprocess.run(command, stdin=feed, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, check=False)
    seconds = time.perf_counter() - started
    lines = done.stderr.rstrip("\n").split("\n")
    rss = int(lines[-1].split()[1]) / 1024 if lines and lines[-1].startswith("MAXRSS ") else float("nan")
    return Run(done.returncode, done.stdout, "\n".join(lines[:-1]).strip(), rss, seconds)


def gzip_bomb(path: Path, megabytes: int, unit: bytes = b"@misc{k, title={t}}\n") -> Path:
    """A gzip file of ``megabytes`` MB of ``unit`` repeated (about 1,000 times smaller than that)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = unit * ((1 << 20) // len(unit))
    with path.open("wb") as out:
        for _ in range(megabytes):
            out.write(packer.compress(block))
        out.write(packer.flush())
    return path


def one_line_medline(path: Path, megabytes: int) -> Path:
    """A MEDLINE record whose title is one line of ``megabytes`` MB."""
    words = b"word " * ((megabytes << 20) // 5)
    path.write_bytes(b"PMID- 12345678\nTI  - " + words + b"\n")
    return path


def one_article_pubmed(path: Path, megabytes: int) -> Path:
    """A PubMed XML file whose second article holds ``megabytes`` MB of keywords (one huge element)."""
    def article(pmid: int, keywords: int) -> bytes:
        words = b"<Keyword>keyword number 1</Keyword>" * keywords
        return (b"<PubmedArticle><MedlineCitation><PMID>%d</PMID><Article><ArticleTitle>A title</ArticleTitle>"
                b"</Article><KeywordList>%s</KeywordList></MedlineCitation></PubmedArticle>\n" % (pmid, words))

    path.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n' + article(1, 0)
                     + article(2, (megabytes << 20) // 35) + b"</PubmedArticleSet>\n")
    return path


def tiny_bibtex(path: Path, entries: int) -> Path:
    """``entries`` one-line BibTeX entries of about 30 bytes."""
    with path.open("w") as out:
        for n in range(entries):
            out.write(f"@misc{{k{n}, title={{T{n}}}}}\n")
    return path


_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]  # 70


def _word(n: int) -> str:
    """A made-up word for ``n`` (different numbers give different words): 'Kobelu'."""
    out = ""
    while True:
        n, digit = divmod(n, len(_SYLLABLES))
        out += _SYLLABLES[digit]
        if not n:
            return out.capitalize()
        n -= 1


def _tiny(n: int) -> tuple[str, str, str, int, str]:
    """(title, author family, given, year, journal) of the n-th tiny record: distinct titles and first
    authors spread over many (author, year) blocks, so that the duplicate check meets realistic blocks."""
    return (f"{_word(n)} therapy in {_word(n * 7919 + 13)} patients", _word(n % 20011 + 900), "J",
            1950 + n % 75, f"Journal of {_word(n % 997)} medicine")


def _json_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ris(n: int) -> str:
    title, family, given, year, journal = _tiny(n)
    return f"TY  - JOUR\nAU  - {family}, {given}\nTI  - {title}\nT2  - {journal}\nPY  - {year}\nER  - \n\n"


def _wos(n: int) -> str:
    title, family, given, year, journal = _tiny(n)
    return f"PT J\nAU {family}, {given}\nTI {title}\nSO {journal}\nPY {year}\nER\n\n"


def _medline(n: int) -> str:
    title, family, given, year, journal = _tiny(n)
    return f"PMID- {n + 1}\nTI  - {title}.\nAU  - {family} {given}\nDP  - {year}\nTA  - {journal}\n\n"


def _csv(n: int) -> str:
    title, family, given, year, journal = _tiny(n)
    return f"{title},{family} {given},{year},{journal}\n"


def _csl(n: int) -> str:
    title, family, given, year, journal = _tiny(n)
    return (f'{{"id": "k{n}", "type": "article-journal", "title": {_json_string(title)}, "author": [{{"family": '
            f'{_json_string(family)}, "given": "{given}"}}], "issued": {{"date-parts": [[{year}]]}}, '
            f'"container-title": {_json_string(journal)}}}')


def _crossref(n: int) -> str:
    title, family, given, year, journal = _tiny(n)
    return (f'{{"type": "journal-article", "title": [{_json_string(title)}], "author": [{{"given": "{given}", '
            f'"family": {_json_string(family)}}}], "issued": {{"date-parts": [[{year}]]}}, "container-title": '
            f'[{_json_string(journal)}]}}')


def _pubmed(n: int) -> str:
    title, family, given, year, journal = _tiny(n)
    return (f"<PubmedArticle><MedlineCitation><PMID>{n + 1}</PMID><Article><Journal><Title>{journal}</Title>"
            f"<JournalIssue><PubDate><Year>{year}</Year></PubDate></JournalIssue></Journal><ArticleTitle>{title}."
            f"</ArticleTitle><AuthorList><Author><LastName>{family}</LastName><Initials>{given}</Initials></Author>"
            "</AuthorList></Article></MedlineCitation></PubmedArticle>\n")


def _bibtex(n: int) -> str:
    title, family, given, year, journal = _tiny(n)
    return (f"@article{{k{n}, title={{{title}}}, author={{{family}, {given}}}, year={{{year}}}, "
            f"journal={{{journal}}}}}\n")


# format -> (file suffix, head, record, separator, tail)
TINY_FORMATS: dict[str, tuple[str, str, Callable[[int], str], str, str]] = {
    "bibtex": (".bib", "", _bibtex, "", ""),
    "ris": (".ris", "", _ris, "", ""),
    "wos": (".ciw", "FN Clarivate Analytics Web of Science\nVR 1.0\n", _wos, "", "EF\n"),
    "medline": (".nbib", "", _medline, "", ""),
    "csv": (".csv", "title,author,year,journal\n", _csv, "", ""),
    "csl-json": (".json", "[\n", _csl, ",\n", "\n]\n"),
    "crossref-json": (".json", '{"status": "ok", "message-type": "work-list", "message": {"items": [\n', _crossref,
                      ",\n", "\n]}}\n"),
    "pubmed-xml": (".xml", '<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n', _pubmed, "",
                   "</PubmedArticleSet>\n"),
}


def tiny_records(folder: Path, fmt: str, records: int) -> Path:
    """A file of ``records`` small realistic records (title, one author, year, journal) in format ``fmt``
    (a key of :data:`TINY_FORMATS`), written to ``folder`` as ``tiny-<records><suffix>``."""
    suffix, head, record, separator, tail = TINY_FORMATS[fmt]
    path = folder / f"tiny-{fmt}-{records}{suffix}"
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        for n in range(records):
            if n and separator:
                out.write(separator)
            out.write(record(n))
        out.write(tail)
    return path


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    gzip_bomb(folder / "bomb.bib.gz", 3900)
    one_line_medline(folder / "one-line.nbib", 25)
    tiny_bibtex(folder / "million.bib", 1_000_000)
