"""Bounded input: a gzip bomb, one huge record and too many records are refused early with one line (exit 1),
within a bounded peak memory (RSS measured in the child process). Sizes and limits are scaled down from
``make bench`` (bench_limits) so that each case takes a few seconds."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from benchmarks.hostile_inputs import gzip_bomb, one_line_medline, run_import, tiny_bibtex
from ingest.base import ReadError
from ingest.readers import read_file

# the CLI with pandas & co. loaded peaks near 150-250 MB before reading anything
BASE_MB = 400


def _one_line(text: str) -> bool:
    return len(text.strip().splitlines()) == 1 and "Traceback" not in text


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
def test_gzip_bomb_is_refused_while_decompressing(tmp_path: Path) -> None:
    bomb = gzip_bomb(tmp_path / "bomb.gz", 300)  # 300 MB of BibTeX entries in ~0.3 MB
    assert bomb.stat().st_size < 2 << 20
    lib = tmp_path / "lib.bib"
    env = {"REFLIB_MAX_INPUT_MB": "16"}
    for run in (run_import(lib, str(bomb), env=env), run_import(lib, "-", stdin=bomb, env=env)):
        assert run.code == 1, run.stderr
        assert _one_line(run.stderr) and "decompresses to more than 16 MB; refused" in run.stderr
        assert run.rss_mb < BASE_MB, run.rss_mb  # holding the bomb would take > 600 MB
    assert not lib.exists()
    text = gzip_bomb(tmp_path / "text.gz", 100, b"no bibliography here ")  # unknown: refused at its first block
    run = run_import(lib, str(text))
    assert run.code == 1 and _one_line(run.stderr) and "text.gz: unknown format" in run.stderr
    assert run.rss_mb < BASE_MB


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_standard_input_from_a_device_is_refused_at_once(tmp_path: Path) -> None:
    run = run_import(tmp_path / "lib.bib", "-", stdin=Path("/dev/zero"), timeout=60)
    assert run.code == 1 and _one_line(run.stderr) and "<stdin>: binary data" in run.stderr
    assert run.rss_mb < BASE_MB


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
def test_one_huge_record_is_an_error_of_that_record(tmp_path: Path) -> None:
    big = one_line_medline(tmp_path / "big.nbib", 6)
    joined = tmp_path / "both.nbib"
    joined.write_bytes(b"PMID- 1\nTI  - A short title\n\nPMID- 2\nTI  - Another title\n\n" + big.read_bytes())
    result = read_file(joined)
    assert [r.pmid for r in result.records] == ["1", "2"]
    assert [str(p) for p in result.problems] == [
        f"{joined} (record 3): 6.0 MB of text in one record (12345678), more than 1 MB; not read (raise "
        "REFLIB_MAX_RECORD_KB to read it)"]
    lib = tmp_path / "lib.bib"
    run = run_import(lib, "--keep-going", str(joined))
    assert run.code == 1 and "2 added" in run.stdout and "record 3): 6.0 MB of text" in run.stdout
    assert run.rss_mb < BASE_MB, run.rss_mb
    assert lib.read_text().count("@") == 2
    # raised limit: the record is read, within a bounded memory
    run = run_import(tmp_path / "other.bib", str(big), env={"REFLIB_MAX_RECORD_KB": "8192"})
    assert run.code == 0, run.stderr
    assert run.rss_mb < 1024, run.rss_mb


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_too_many_records_are_refused_before_they_are_built(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    many = tiny_bibtex(tmp_path / "many.bib", 60_000)
    packed = tmp_path / "many.bib.gz"
    packed.write_bytes(gzip.compress(many.read_bytes()))
    lib = tmp_path / "lib.bib"
    run = run_import(lib, str(packed), env={"REFLIB_MAX_RECORDS": "50000"})
    assert run.code == 1 and _one_line(run.stderr)
    assert "many.bib.gz: more than 50,000 records; refused" in run.stderr
    assert run.rss_mb < BASE_MB and not lib.exists()
    monkeypatch.setenv("REFLIB_MAX_RECORDS", "200")
    with pytest.raises(ReadError, match="many.bib: more than 200 records; refused"):
        read_file(many)
    ris = tmp_path / "many.ris"
    ris.write_text("".join(f"TY  - JOUR\nTI  - Title {n}\nER  - \n\n" for n in range(201)))
    with pytest.raises(ReadError, match="many.ris: more than 200 records"):
        read_file(ris)
    csv = tmp_path / "many.csv"
    csv.write_text("title,year\n" + "".join(f"Title {n},2020\n" for n in range(201)))
    with pytest.raises(ReadError, match="many.csv: more than 200 records; refused"):
        read_file(csv)
    json = tmp_path / "many.json"
    json.write_text("[" + ",".join(f'{{"type": "article", "title": "T{n}"}}' for n in range(201)) + "]")
    with pytest.raises(ReadError, match="many.json: more than 200 records; refused"):
        read_file(json)
    monkeypatch.setenv("REFLIB_MAX_RECORDS", "201")
    assert len(read_file(json).records) == len(read_file(csv).records) == len(read_file(ris).records) == 201


# --- PubMed XML (streamed): records counted as they are read, one article's XML bounded ------------------------
def _article(pmid: int, title: str = "A title", keywords: int = 0) -> bytes:
    words = b"".join(b"<Keyword>keyword number %d</Keyword>" % n for n in range(keywords))
    return (b"<PubmedArticle><MedlineCitation><PMID>%d</PMID><Article><ArticleTitle>%s</ArticleTitle></Article>"
            b"<KeywordList>%s</KeywordList></MedlineCitation></PubmedArticle>\n" % (pmid, title.encode(), words))


def _pubmed(articles: bytes, root: bytes = b"<PubmedArticleSet>") -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + root + b"\n" + articles + b"</PubmedArticleSet>\n"


# the fast (article by article) reader needs the plain NCBI shape; an attribute on the root sends the whole file to
# the pull-parser reader, so each case is checked through both
SHAPES = (b"<PubmedArticleSet>", b'<PubmedArticleSet id="x">')


@pytest.mark.parametrize("root", SHAPES)
def test_pubmed_xml_records_are_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: bytes) -> None:
    path = tmp_path / "many.xml"
    path.write_bytes(_pubmed(b"".join(_article(n) for n in range(1, 202)), root))
    monkeypatch.setenv("REFLIB_MAX_RECORDS", "200")
    with pytest.raises(ReadError, match=r"many.xml: more than 200 records; refused \(split the file"):
        read_file(path)
    monkeypatch.setenv("REFLIB_MAX_RECORDS", "201")
    assert [r.pmid for r in read_file(path).records] == [str(n) for n in range(1, 202)]


@pytest.mark.parametrize("root", SHAPES)
def test_pubmed_xml_article_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: bytes) -> None:
    monkeypatch.setenv("REFLIB_MAX_RECORD_KB", "64")  # 256 kB of XML per article
    path = tmp_path / "big.xml"
    path.write_bytes(_pubmed(_article(1) + _article(2, keywords=12_000) + _article(3), root))
    with pytest.raises(ReadError) as raised:
        read_file(path)
    assert str(raised.value) == (f"{path} (record 2, line 4): more than 0.25 MB of XML in one record; refused "
                                 "(raise REFLIB_MAX_RECORD_KB to read it)")
    # markup that never closes a record is bounded the same way
    junk = tmp_path / "junk.xml"
    junk.write_bytes(_pubmed(_article(1) + b"<Other>x</Other>" * 30_000, root))
    with pytest.raises(ReadError, match=r"junk.xml \(record 2\): more than 0.25 MB of XML in one record"):
        read_file(junk)
    # text over the per-record limit in an article within the XML limit: an error of that record, others read
    text = tmp_path / "text.xml"
    text.write_bytes(_pubmed(_article(1) + _article(2, title="word " * 16_000) + _article(3), root))
    result = read_file(text)
    assert [r.pmid for r in result.records] == ["1", "3"]
    assert [str(p) for p in result.problems] == [
        f"{text} (record 2): 0.1 MB of text in one record (2), more than 0.0625 MB; not read (raise "
        "REFLIB_MAX_RECORD_KB to read it)"]
    monkeypatch.setenv("REFLIB_MAX_RECORD_KB", "1024")
    assert [r.pmid for r in read_file(path).records] == ["1", "2", "3"]


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
def test_pubmed_xml_endless_article_stops_within_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "endless.xml"
    path.write_bytes(_pubmed(_article(1) + _article(2, keywords=2_000_000)))  # ~70 MB, one article
    lib = tmp_path / "lib.bib"
    for run in (run_import(lib, str(path)), run_import(lib, "-", stdin=path)):
        assert run.code == 1 and _one_line(run.stderr), run.stderr
        assert "(record 2, line 4): more than 4 MB of XML in one record; refused" in run.stderr
        assert run.rss_mb < BASE_MB, run.rss_mb
    assert not lib.exists()
