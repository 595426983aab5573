"""Format detection by content (not only by name), the registry, and unreadable files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ingest.base import ReadError
from ingest.readers import FORMATS, decode_text, detect_format, read_data, read_file, read_stream, reader_for

from .conftest import CORPUS, needs_shared

FIXTURES = Path(__file__).parent / "fixtures" / "import"


@pytest.mark.parametrize(("name", "expected"), [
    ("hsg.bib", "bibtex"), ("bad_braces.bib", "bibtex"), ("hsg.ris", "ris"), ("no_er.ris", "ris"),
    ("hsg.nbib", "medline"), ("hsg.csl.json", "csl-json"), ("hsg.csv", "csv"), ("bad_header.csv", "csv"),
])
def test_fixtures(name: str, expected: str) -> None:
    assert detect_format((FIXTURES / name).read_bytes(), name) == expected


def test_content_wins_over_the_file_name() -> None:
    assert detect_format((FIXTURES / "hsg.ris").read_bytes(), "export.txt") == "ris"
    assert detect_format((FIXTURES / "hsg.bib").read_bytes(), "refs.ris") == "bibtex"
    assert detect_format((FIXTURES / "hsg.nbib").read_bytes(), "pubmed.bib") == "medline"
    assert detect_format(b"\xef\xbb\xbf\n1.\nTY  - JOUR\nER  - \n", "ovid.txt") == "ris"  # BOM, Ovid numbering
    assert detect_format(b"FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nER\n", "savedrecs.txt") == "wos"
    assert detect_format(b'{"status":"ok","message-type":"work","message":{}}', "x.json") == "crossref-json"
    assert detect_format(b'<?xml version="1.0"?>\n<PubmedArticleSet><PubmedArticle/></PubmedArticleSet>',
                         "efetch.txt") == "pubmed-xml"


@pytest.mark.parametrize(("data", "message"), [
    (b"%PDF-1.4\n\x00\x01\x02binary", "binary data"),
    (b"", "empty file"),
    (b"   \n", "empty file"),
    (b"<records><record/></records>", "not PubMed XML"),
    (b"[1, 2", "not valid JSON"),
    (b'{"foo": 1}', "neither CSL-JSON"),
    (b"just some prose\nwithout any structure\n", "unknown format"),
])
def test_unknown_or_unreadable(data: bytes, message: str) -> None:
    with pytest.raises(ReadError, match=message) as info:
        detect_format(data, "mystery.dat")
    assert "mystery.dat" in str(info.value)


def test_not_utf8_names_line_and_encoding_option() -> None:
    data = "TY  - JOUR\nTI  - Caf\u00e9 study\nER  - \n".encode("latin-1")
    with pytest.raises(ReadError, match=r"latin.ris: not UTF-8 text \(line 2, byte 0xe9\)"):
        read_data(data, "latin.ris")
    assert read_data(data, "latin.ris", encoding="latin-1").records[0].title == "Café study"


def test_decode_text_utf16_and_newlines() -> None:
    assert decode_text("TY  - JOUR\r\nER  -\r\n".encode("utf-16"), "x") == "TY  - JOUR\nER  -\n"


def test_read_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="missing.ris: cannot read"):
        read_file(tmp_path / "missing.ris")
    with pytest.raises(ReadError, match="is a directory"):
        read_file(tmp_path)
    with pytest.raises(ReadError, match="unknown format 'endnote'"):
        reader_for("endnote")


def test_every_registered_reader_is_importable() -> None:
    """pubmed-xml and crossref-json come from the PubMed/Crossref module; all must resolve."""
    for name in FORMATS:
        assert callable(reader_for(name))


@needs_shared
@pytest.mark.parametrize(("relative", "expected"), [
    ("pypi/biopython-1.88/Tests/Entrez/pubmed1.xml", "pubmed-xml"),
    ("pypi/habanero-2.9.2/decoded/test_works_with_one_id.0.json", "crossref-json"),
    ("pypi/habanero-2.9.2/decoded/test_content_negotiation_citeproc_json.1.json", "csl-json"),
    ("github/mjwestgate-synthesisr/tests/testthat/testdata/WoS_txt_example.txt", "wos"),
    ("github/mjwestgate-synthesisr/tests/testthat/testdata/litsearchr.txt", "bibtex"),
    ("github/mjwestgate-synthesisr/tests/testthat/testdata/PubMed_example.txt", "medline"),
    ("github/camaradesuk-ASySD/tests/testthat/ris_export.txt", "ris"),
    ("github/camaradesuk-ASySD/tests/testthat/zotero_export.csv", "csv"),
])
def test_corpus_samples(relative: str, expected: str) -> None:
    path = CORPUS / relative
    assert detect_format(path.read_bytes(), path.name) == expected


PUBMED_HEAD = (b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025'
               b'//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n')
BULKY_ARTICLE = (b"<PubmedArticle><MedlineCitation><PMID>%d</PMID><Article><ArticleTitle>Study %d</ArticleTitle>"
                 b"</Article></MedlineCitation><PubmedData><ReferenceList>%s</ReferenceList></PubmedData>"
                 b"</PubmedArticle>\n")


def test_pubmed_xml_files_are_read_without_holding_the_file(tmp_path: Path) -> None:
    """A baseline-sized file: records from the open file, never the whole file in memory at once."""
    import tracemalloc

    references = b"<Reference><Citation>%s</Citation></Reference>" % (b"x" * 2000) * 30  # 60 KB not kept
    path = tmp_path / "baseline.xml"
    path.write_bytes(PUBMED_HEAD + b"".join(BULKY_ARTICLE % (i, i, references) for i in range(1, 301))
                     + b"</PubmedArticleSet>\n")
    assert path.stat().st_size > 18_000_000
    tracemalloc.start()
    try:
        result = read_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.format == "pubmed-xml" and len(result.records) == 300
    assert peak < 6_000_000, peak  # a whole-file read alone would be 18 MB
    assert result.records == read_data(path.read_bytes(), str(path)).records
    assert read_file(path, "pubmed-xml").records == result.records


def test_streamed_pubmed_xml_reports_like_the_in_memory_reading(tmp_path: Path) -> None:
    good = PUBMED_HEAD + BULKY_ARTICLE % (1, 1, b"") + BULKY_ARTICLE % (2, 2, b"")
    truncated = tmp_path / "cut.xml"
    truncated.write_bytes(good[:-40])
    streamed = read_file(truncated)
    assert [r.pmid for r in streamed.records] == ["1"]
    assert [str(p) for p in streamed.problems] == [str(p) for p in read_data(truncated.read_bytes(),
                                                                             str(truncated)).problems]
    assert "cut.xml" in str(streamed.problems[-1]) and "truncated or malformed" in str(streamed.problems[-1])
    broken = tmp_path / "nothing.xml"
    broken.write_bytes(PUBMED_HEAD + b"<PubmedArticle><MedlineCitation>")
    with pytest.raises(ReadError, match="nothing.xml.*truncated or malformed"):
        read_file(broken)
    other = tmp_path / "endnote.xml"
    other.write_bytes(b'<?xml version="1.0"?>\n<xml><records><record/></records></xml>\n')
    with pytest.raises(ReadError, match="endnote.xml: XML, but not PubMed XML"):
        read_file(other)


def test_gzip_files_are_read_like_the_files_they_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PubMed baseline files come as .xml.gz: recognized by content, decompressed, read as usual."""
    import gzip

    from ingest.readers import compressed

    xml = PUBMED_HEAD + b"".join(BULKY_ARTICLE % (i, i, b"<Reference/>" * 200) for i in range(1, 41)) \
        + b"</PubmedArticleSet>\n"
    plain = tmp_path / "baseline.xml"
    plain.write_bytes(xml)
    packed = tmp_path / "pubmed26n0001.xml.gz"
    packed.write_bytes(gzip.compress(xml))
    expected = read_file(plain).records
    assert read_file(packed).records == expected and len(expected) == 40
    assert read_data(packed.read_bytes(), "upload.xml.gz").records == expected  # the dashboard's uploads
    ris = tmp_path / "export"  # no telling name: content decides, after decompression
    ris.write_bytes(gzip.compress((FIXTURES / "hsg.ris").read_bytes()))
    assert read_file(ris).format == "ris" and len(read_file(ris).records) == 3
    # an interrupted download: the records before the break, the XML break and the short gzip both reported
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(packed.read_bytes()[: len(packed.read_bytes()) // 2])
    result = read_file(cut)
    assert 0 < len(result.records) < 40 and result.records == expected[: len(result.records)]
    messages = [str(p) for p in result.problems]
    assert any("cut.xml.gz" in m and "truncated or malformed" in m for m in messages)
    assert any("cut.xml.gz: the gzip file ends early" in m for m in messages)
    broken = tmp_path / "broken.gz"
    broken.write_bytes(b"\x1f\x8b" + b"not deflate data" * 10)
    with pytest.raises(ReadError, match="broken.gz: not a valid gzip file"):
        read_file(broken)
    monkeypatch.setattr(compressed, "LIMIT", 1 << 20)  # a "zip bomb" of PubMed XML: refused at the limit
    bomb = tmp_path / "bomb.xml.gz"
    bomb.write_bytes(gzip.compress(PUBMED_HEAD + b"<PubmedArticle>" + b" " * (50 << 20)))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ReadError, match="bomb.xml.gz: gzip data that decompresses to more than 1 MB; refused"):
        read_file(bomb)
    with pytest.raises(ReadError, match="decompresses to more than 1 MB"):
        read_data(bomb.read_bytes(), "bomb.xml.gz")


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
def test_a_gzip_bomb_stops_early(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Decompressed data is checked as it comes: unknown or binary content at its first block, a format read
    into memory at the in-memory limit (REFLIB_MAX_INPUT_MB), never the whole bomb."""
    import gzip
    import zlib

    def bomb(name: str, unit: bytes, megabytes: int) -> Path:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = unit * ((1 << 20) // len(unit))
        path = tmp_path / name
        path.write_bytes(b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush())
        return path

    text = bomb("text.gz", b"a", 200)
    with pytest.raises(ReadError, match="text.gz: unknown format"):
        read_file(text)
    zeros = bomb("zeros.gz", b"\0", 200)
    with pytest.raises(ReadError, match="zeros.gz: binary data"):
        read_file(zeros)
    monkeypatch.setenv("REFLIB_MAX_INPUT_MB", "2")
    bib = bomb("refs.bib.gz", b"@misc{k, title={t}}\n", 200)
    with pytest.raises(ReadError, match="refs.bib.gz: gzip data that decompresses to more than 2 MB; refused"):
        read_file(bib)
    plain = tmp_path / "big.bib"
    plain.write_bytes(b"@misc{k, title={t}}\n" * 200_000)
    with pytest.raises(ReadError, match="big.bib: more than 2 MB of input; refused"):
        read_file(plain)
    with pytest.raises(ReadError, match="<stdin>: more than 2 MB of input; refused"):
        read_stream(_Unseekable(plain.read_bytes()), "<stdin>")
    small = tmp_path / "small.bib.gz"
    small.write_bytes(gzip.compress(b"@misc{k, title={t}}\n" * 1000))
    assert len(read_file(small).records) == 1000


class _Unseekable(io.BytesIO):
    def seekable(self) -> bool:
        return False

    def fileno(self) -> int:
        raise io.UnsupportedOperation("no file")


def test_an_unreadable_short_gzip_upload_names_the_truncation() -> None:
    import gzip

    noise = bytes(range(48, 122)) * 2000  # varied enough that half the gzip stream holds the article's start
    packed = gzip.compress(PUBMED_HEAD + b"<PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>"
                           + noise.replace(b"<", b"(").replace(b">", b")").replace(b"&", b"+") + b"</ArticleTitle>")
    with pytest.raises(ReadError, match="upload.xml.gz.*truncated or malformed.*the gzip file ends early"):
        read_data(packed[: len(packed) // 2], "upload.xml.gz")
