"""Real records for the citation conformance check (tests/test_citeproc_js.py and ``make bench``).

The bundled library, every small real PubMed / MEDLINE / RIS / WoS / Scopus file of ../shared/corpus, and a fixed
sample of the real medical systematic-review sets (CoLRev bib-dedupe: cytology, haematology, respiratory, stroke),
read the way ``reflib import`` reads them. The sample is chosen by a hash of each record's identity, so it does not
depend on file order and never on what the rules get right.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.readers import read_file
from library.journals import fill_journal_abbrev
from library.model import Record
from library.store import Library

__all__ = ["citation_records"]

ROOT = Path(__file__).resolve().parents[1]
_SMALL_FILES = (
    "pypi/biopython-1.88/Tests/Entrez/pubmed1.xml",
    "pypi/biopython-1.88/Tests/Entrez/pubmed2.xml",
    "pypi/biopython-1.88/Tests/Medline/pubmed_result1.txt",
    "github/MrTango-rispy/tests/data/example_pubmed.txt",
    "github/MrTango-rispy/tests/data/example_wos.ris",
    "github/mjwestgate-synthesisr/tests/testthat/testdata/ASP_ris_example.ris",
    "github/mjwestgate-synthesisr/tests/testthat/testdata/Ovid_ris_example.ris",
    "github/mjwestgate-synthesisr/tests/testthat/testdata/PubMed_example.txt",
    "github/mjwestgate-synthesisr/tests/testthat/testdata/Scopus_bib_example.bib",
    "github/mjwestgate-synthesisr/tests/testthat/testdata/Scopus_ris_example.ris",
    "github/mjwestgate-synthesisr/tests/testthat/testdata/WoS_ciw_example.ciw",
    "github/mjwestgate-synthesisr/tests/testthat/testdata/WoS_txt_example.txt",
    "github/mjwestgate-synthesisr/tests/testthat/testdata/citesource_issue_24.ris",
    "github/JabRef-jabref/jablib/src/test/resources/org/jabref/logic/importer/fileformat/"
    "MedlineImporterTestArticleID.xml",
    "github/JabRef-jabref/jablib/src/test/resources/org/jabref/logic/importer/fileformat/"
    "MedlineImporterTestArticleItalics.xml",
    "github/JabRef-jabref/jablib/src/test/resources/org/jabref/logic/importer/fileformat/"
    "MedlineImporterTestMathML.xml",
    "github/JabRef-jabref/jablib/src/test/resources/org/jabref/logic/importer/fileformat/NbibImporterTest.nbib",
)
_SETS = ("cytology_screening", "haematology", "respiratory", "stroke")


def _pick(record: Record, share: int) -> bool:
    ident = record.pmid or record.doi.lower() or record.title.lower()
    return int(hashlib.sha1(f"cite:{ident}".encode()).hexdigest(), 16) % 1000 < share


def citation_records(corpus: Path, per_mille: int = 35) -> list[Record]:
    """The bundled library, the small real files, and ``per_mille``/1000 of each CoLRev set (35: about 230)."""
    records = list(Library.load(ROOT / "references.bib", use_cache=False).records())
    for name in _SMALL_FILES:
        path = corpus / name
        if path.is_file():
            records.extend(r for r in read_file(path).records if r.title)
    for name in _SETS:
        path = corpus / "github/CoLRev-Environment-bib-dedupe/data" / name / "records_pre_merged.csv"
        if path.is_file():
            records.extend(r for r in read_file(path).records if r.title and _pick(r, per_mille))
    for record in records:
        fill_journal_abbrev(record)  # as reflib import does
    seen: set[str] = set()
    unique = []
    for n, record in enumerate(records):
        if not record.key or record.key in seen:
            record.key = f"{record.key or 'record'}-{n}"
        seen.add(record.key)
        unique.append(record)
    return unique
