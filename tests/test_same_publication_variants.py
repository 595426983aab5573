"""Source variants that are not disagreements (issue 14, recall on the labelled sets): pages a spreadsheet read
as a date, a year given as the volume, a month name for the issue, one author list in another order, a page
count for an article number. Each keeps its limits: the real disagreement next to it is still one."""

from __future__ import annotations

from library.dedupe import same_publication
from library.dedupe.comparison_keys import spreadsheet_date
from library.model import Author, Record

KWON = [Author("Kwon", "Y. M."), Author("Gerdes", "H."), Author("Schattner", "M. A.")]
TITLE = "Management of peripancreatic fluid collections following partial pancreatectomy"


def article(**changes: object) -> Record:
    record = Record(key="", authors=list(KWON), title=TITLE, journal="Surgical Endoscopy", year=2013, volume="27",
                    issue="7", pages="2422--2427")
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def test_a_page_range_a_spreadsheet_turned_into_a_date_tells_nothing_against_real_pages():
    assert spreadsheet_date("01--Jun") and spreadsheet_date("Jun-01") and spreadsheet_date("12-May")
    assert not spreadsheet_date("1-6") and not spreadsheet_date("2422--2427") and not spreadsheet_date("S12")
    damaged = article(journal="Surg Endosc", volume="", issue="", pages="01--Jun")
    assert same_publication(article(), damaged).verdict == "same"
    # a real other page range is still a disagreement
    assert same_publication(article(), article(journal="Surg Endosc", volume="", issue="", pages="1--6")).verdict \
        != "same"
    # two records damaged the same way (one export) still compare their pages
    assert same_publication(article(pages="01--Jun"), article(journal="Surg Endosc", pages="01--Jun")).verdict \
        == "same"
    assert same_publication(article(pages="01--Jun", issue=""), article(pages="02--Jun", issue="")).verdict \
        != "same"


def test_a_volume_that_is_the_year_and_a_month_for_the_issue_are_no_other_volume_or_issue():
    magazine = article(journal="Harvard Business Review", year=2016, volume="94", issue="5", pages="")
    other_source = article(journal="Harvard Business Review", year=2016, volume="2016", issue="May", pages="")
    decision = same_publication(magazine, other_source)
    assert decision.verdict == "same", decision.reasons
    # another volume number, or two different months, still disagree
    assert same_publication(magazine, article(journal="Harvard Business Review", year=2016, volume="95",
                                              issue="5", pages="")).verdict != "same"
    may, june = (article(journal="Byte", year=1991, volume="16", issue=m, pages="") for m in ("May", "June"))
    assert same_publication(may, june).verdict != "same"


def test_one_author_list_in_another_order_under_the_very_same_title():
    hong = Record(key="", title="On Service Employers' Hiring Decisions in Online Labor Markets",
                  authors=[Author("Hong", "Yili"), Author("Zheng", "Alvin")], year=2015,
                  entry_type="inproceedings", booktitle="Americas Conference on Information Systems", pages="1--14")
    zheng = Record(key="", title="On service employers' hiring decisions in online labor markets",
                   authors=[Author("Zheng", "A. Z."), Author("Hong", "Y.")], year=2015,
                   entry_type="inproceedings", booktitle="Americas Conference on Information Systems")
    assert same_publication(hong, zheng).verdict == "same"
    # other people in another order, or a reworded title, are not read as a reordering
    third = Record(key="", title=zheng.title, authors=[Author("Zheng", "A."), Author("Wu", "Q.")], year=2015,
                   entry_type="inproceedings", booktitle=zheng.booktitle)
    assert same_publication(hong, third).verdict != "same"
    sequel = Record(key="", title="On service employers' wage decisions in online labor markets",
                    authors=zheng.authors, year=2015, entry_type="inproceedings", booktitle=zheng.booktitle)
    assert same_publication(hong, sequel).verdict != "same"


def test_a_page_count_against_an_article_number_under_one_doi_is_one_article():
    a = article(journal="Computers in Human Behavior", volume="113", issue="", pages="106482",
                doi="10.1016/j.chb.2020.106482")
    b = article(journal="Computers in Human Behavior", volume="113", issue="", pages="11",
                doi="10.1016/J.CHB.2020.106482")
    assert same_publication(a, b).verdict == "same"
    # two printed pages of one supplement under its DOI stay apart (two abstracts)
    c = article(journal="Diabetes/Metabolism Research and Reviews", volume="30", issue="S3", pages="51",
                doi="10.1002/dmrr.2604")
    d = article(journal="Diabetes/Metabolism Research and Reviews", volume="30", issue="S3", pages="52",
                doi="10.1002/dmrr.2604")
    assert same_publication(c, d).verdict != "same"
