"""The study page, computed without Streamlit: escaping of untrusted text, the journal line, identifier links,
abstract sections, related studies and stored relations (both directions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from .derived import lowered_titles
from .frame import list_mask
from .identifiers import InvalidIdentifier, normalize_doi, normalize_pmcid, normalize_pmid
from .model import RELATION_KINDS, Record, Relation
from .textfold import fold

__all__ = ["IdentifierLink", "RelationRow", "abstract_sections", "escape_markdown", "identifier_links",
           "journal_line", "reader_keywords", "related_studies", "safe_url", "split_inline_labels", "study_relations"]


_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character CommonMark can escape


def escape_markdown(text: str) -> str:
    """Untrusted text -> markdown that renders as exactly that text (no links, HTML, math or directives).

    Every ASCII punctuation character markdown or Streamlit's extensions give a meaning to is backslash-escaped;
    newlines become spaces so a title cannot start a heading or a list.
    """
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


_INTERNAL_KEYWORD = re.compile(r"^[a-z][a-z0-9-]*:\S")  # trial:H2Oil, outcome:live-birth: editors' markers


def reader_keywords(keywords: list[str]) -> list[str]:
    """Keywords a reader sees (the dashboard's reader mode, the published site): the editors' internal markers
    (``trial:H2Oil``, ``outcome:...``) left out."""
    return [k for k in keywords if not _INTERNAL_KEYWORD.match(k.strip())]


def journal_line(record: Record) -> str:
    """'New England Journal of Medicine. 2017;376(21):2043–2052.' — the line the encyclopedia shows."""
    source = record.journal or record.booktitle or record.publisher
    parts = [source.rstrip(".")] if source else []
    tail = str(record.year) if record.year else ""
    if record.volume:
        tail += f";{record.volume}"
        if record.issue:
            tail += f"({record.issue})"
    elif record.issue:
        tail += f";({record.issue})"
    if record.pages:
        tail += f":{record.pages.replace('--', '–')}"
    if tail:
        parts.append(tail)
    return ". ".join(parts) + "." if parts else ""


@dataclass(frozen=True, slots=True)
class IdentifierLink:
    label: str  # DOI / PubMed / PMC / Web
    value: str
    url: str


def safe_url(url: str) -> str:
    """Only http(s) addresses, with the characters that could break a markdown link percent-encoded."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return quote(url.strip(), safe=":/?#@!$&'*+,;=%-._~", errors="surrogatepass")  # (a lone surrogate: escaped)


def identifier_links(record: Record) -> list[IdentifierLink]:
    """doi.org, PubMed and PMC links from valid identifiers only; an invalid one is shown as text elsewhere."""
    links: list[IdentifierLink] = []
    try:
        doi = normalize_doi(record.doi) if record.doi else ""
    except InvalidIdentifier:
        doi = ""
    if doi:
        links.append(IdentifierLink("DOI", doi, "https://doi.org/" + quote(doi, safe="/:;._-", errors="surrogatepass")))
    try:
        pmid = normalize_pmid(record.pmid) if record.pmid else ""
    except InvalidIdentifier:
        pmid = ""
    if pmid:
        links.append(IdentifierLink("PubMed", pmid, f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"))
    try:
        pmcid = normalize_pmcid(record.pmcid) if record.pmcid else ""
    except InvalidIdentifier:
        pmcid = ""
    if pmcid:
        links.append(IdentifierLink("PMC", pmcid, f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/"))
    web = safe_url(record.url) if record.url else ""
    if web and not any(web.rstrip("/") == link.url.rstrip("/") for link in links):
        links.append(IdentifierLink("Web", record.url.strip(), web))
    return links


_PARAGRAPH_LABEL = re.compile(r"^(?P<label>[A-Z][A-Za-z /&,()-]{1,60}?)\s*:\s+(?P<text>\S.*)$", re.DOTALL)
_INLINE_LABEL = re.compile(r"(?:(?<=^)|(?<=[.!?]\s))(?P<label>[A-Z][A-Z /&,-]{2,60}[A-Z]):\s+")
_LABEL_CANDIDATE = re.compile(r"(?P<label>[A-Z][A-Z /&,-]{2,60}[A-Z]):\s+")  # _INLINE_LABEL without its context


def split_inline_labels(text: str) -> list[str]:
    """``_INLINE_LABEL.split(text)`` four times faster (the look-behinds at every position made the split the
    study page's costliest step): candidates are found without the context, and kept when they start the text
    or follow '.', '!' or '?' and a space. A candidate rejected for its context cannot hide an accepted one
    starting inside it: no position inside a candidate has '.', '!' or '?' two characters before it, nor a space
    just before its first letter (tests/test_views.py compares both on generated text)."""
    pieces: list[str] = []
    last = 0
    for match in _LABEL_CANDIDATE.finditer(text):
        start = match.start()
        if start == 0 or (start >= 2 and text[start - 2] in ".!?" and text[start - 1].isspace()):
            pieces.append(text[last:start])
            pieces.append(match.group("label"))
            last = match.end()
    pieces.append(text[last:])
    return pieces


# first words of the mixed-case labels structured abstracts use ("Materials and methods", "Main outcome measures")
_LABEL_WORDS = frozenset(re.findall(r"[a-z]+",
    "aim aims background case clinical conclusion conclusions context data design discussion eligibility evidence "
    "findings funding importance interpretation interventions introduction key limitations main materials "
    "measurements method methods objective objectives outcome outcomes participants patients primary purpose "
    "rationale registration relevance result results review search secondary selection setting significance "
    "sources study summary synthesis trial what wider"))


def _is_label(label: str) -> bool:
    words = label.split()
    return 0 < len(words) <= 8 and (label.isupper() or words[0].lower() in _LABEL_WORDS)


def abstract_sections(abstract: str) -> list[tuple[str, str]]:
    """A structured abstract -> [(label, text)], '' label for unstructured text.

    Labels are recognized at the start of a paragraph ("Background: ...", "METHODS: ...") and, for abstracts
    flattened into one paragraph, as ALL-CAPS labels right after a sentence ("... birth. RESULTS: ...").
    """
    sections: list[tuple[str, str]] = []
    for paragraph in re.split(r"\n\s*\n", abstract.strip()):
        text = " ".join(paragraph.split())
        if not text:
            continue
        pieces = split_inline_labels(text)
        # split() gives [before, label, text, label, text, ...]
        if pieces[0].strip():
            head = _PARAGRAPH_LABEL.match(pieces[0].strip())
            if head and _is_label(head["label"]):
                sections.append((head["label"].strip(), head["text"].strip()))
            else:
                sections.append(("", pieces[0].strip()))
        for i in range(1, len(pieces) - 1, 2):
            sections.append((pieces[i].strip(), pieces[i + 1].strip()))
    return sections


_WORD = re.compile(r"[a-z0-9]{4,}")


FULL_TITLE_SCAN = 20_000  # up to this many records every title is compared; above, only plausible ones


def _title_candidates(frame: pd.DataFrame, title: str) -> np.ndarray:
    """Rows worth a fuzzy title comparison: all of a small library; in a large one, those sharing the title's
    longest words (similar titles share most words, and the longest words are the rarest)."""
    if len(frame) <= FULL_TITLE_SCAN:
        return np.arange(len(frame))
    # longest first, equal lengths alphabetically (a set's order changes with every process: the related studies would)
    words = sorted(set(_WORD.findall(fold(title))), key=lambda w: (-len(w), w))[:3]
    if not words:
        return np.arange(0)
    lowered = lowered_titles(frame)  # kept with the frame, shared with search ranking
    # RE2's literal scan (memchr) is several times faster than the plain substring kernel; same rows
    counts = sum(pc.match_substring_regex(lowered, re.escape(w)).to_numpy(zero_copy_only=False).astype(np.int8)
                 for w in words)
    needed = min(2, len(words))
    candidates = np.flatnonzero(counts >= needed)
    if len(candidates) > FULL_TITLE_SCAN:
        candidates = np.flatnonzero(counts >= len(words))[:FULL_TITLE_SCAN]
    return candidates


def related_studies(frame: pd.DataFrame, key: str, limit: int = 4) -> pd.DataFrame:
    """Studies to read next: same trial first, then shared topics, then similar titles, newest breaking ties.

    Returns the matching frame rows with a ``reason`` column; the study itself is never included.
    """
    from rapidfuzz import fuzz, process

    found = np.flatnonzero((frame["key"] == key).to_numpy(dtype=bool, na_value=False))
    if len(found) == 0 or len(frame) < 2:
        return frame.iloc[0:0].assign(reason=pd.Series(dtype="string"))
    mine = int(found[0])
    me = frame.iloc[mine]
    trials = [k.split(":", 1)[1] for k in me["keywords"] if k.lower().startswith("trial:")]
    wanted_trials = {f"trial:{t}".casefold() for t in trials}
    same_trial = (list_mask(frame, "keywords", lambda k: k.casefold() in wanted_trials) if trials
                  else np.zeros(len(frame), dtype=bool))
    my_topics = set(me["topics"])
    shared_topic = (list_mask(frame, "topics", lambda t: t in my_topics) if my_topics
                    else np.zeros(len(frame), dtype=bool))
    similarity = np.zeros(len(frame))
    candidates = _title_candidates(frame, str(me["title"]))
    titles = [str(t) for t in frame["title"].take(candidates).tolist()]
    for _, value, i in process.extract(str(me["title"]), titles, scorer=fuzz.token_set_ratio,
                                       limit=limit * 3 + 1, score_cutoff=60):
        similarity[candidates[i]] = value
    score = 100 * same_trial + 10 * shared_topic + similarity / 10
    score[mine] = -1
    year = frame["year"].to_numpy(dtype="float64", na_value=0)
    chosen: list[int] = []
    reasons: list[str] = []
    scored = np.flatnonzero(score > 0)  # only these can be chosen; sorting them alone keeps their order
    for p in scored[np.lexsort((-year[scored], -score[scored]))]:
        if len(chosen) == limit:
            break
        why = ([f"same trial ({', '.join(trials)})"] if same_trial[p] else []) + \
              (["shared topic"] if shared_topic[p] else []) + (["similar title"] if similarity[p] >= 75 else [])
        if why:
            chosen.append(int(p))
            reasons.append("; ".join(why))
    out = frame.iloc[chosen].copy()
    out["reason"] = reasons
    return out


@dataclass(frozen=True, slots=True)
class RelationRow:
    """One line of a study's "Related records": ``label`` ("erratum of", "has erratum"), the other record's key,
    its title (plain text) and whether it is in the library."""

    label: str
    key: str
    title: str
    in_library: bool
    outgoing: bool  # stored on this study (True) or on the other record, naming this one (False)

    def text(self) -> str:
        """'has erratum: Erratum: Oil-based …' or 'erratum of: smith2019 (not in the library)' (plain text)."""
        other = (self.title or "(untitled)") if self.in_library else f"{self.key} (not in the library)"
        return f"{self.label}: {other}"


def study_relations(frame: pd.DataFrame, record: Record) -> list[RelationRow]:
    """The study's related records in both directions: its own ``relations`` ("erratum of X"), then the records
    whose ``relations`` name it ("has erratum: Y"), each once, titles looked up in the frame."""
    wanted = [rel.key for rel in record.relations if rel.key]
    found = np.flatnonzero(frame["key"].isin(wanted).to_numpy(dtype=bool, na_value=False)) if wanted else ()
    title_of = {str(frame["key"].iloc[i]): str(frame["title"].iloc[i] or "") for i in found}
    rows: list[RelationRow] = []
    seen: set[tuple[bool, str, str]] = set()
    for rel in record.relations:
        if (True, rel.kind, rel.key) in seen or rel.key == record.key:
            continue
        seen.add((True, rel.kind, rel.key))
        label = rel.kind.replace("-", " ") if rel.key else "relation without a key"
        rows.append(RelationRow(label, rel.key or rel.kind, str(title_of.get(rel.key, "")),
                                rel.key in title_of, True))
    if "relations" in frame.columns and len(frame):
        hits = np.flatnonzero(list_mask(frame, "relations", lambda item: Relation.parse(item).key == record.key))
        for position in hits:
            other = str(frame["key"].iloc[position])
            if other == record.key:
                continue
            for item in frame["relations"].iloc[position]:
                relation = Relation.parse(str(item))
                kind = relation.kind
                if relation.key != record.key or (False, kind, other) in seen:
                    continue
                seen.add((False, kind, other))
                rows.append(RelationRow(RELATION_KINDS.get(kind, f"named as {kind} by"), other,
                                        str(frame["title"].iloc[position] or ""), True, False))
    return rows
