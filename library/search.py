"""Search that knows the field: the taxonomy's topic names and synonyms widen a search, results are ranked.

"HSG" finds the studies that say "hysterosalpingography" and the ones tagged with the HSG topic (or a subtopic);
"saline infusion sonography" finds "SIS". One :class:`Vocabulary` is built from the taxonomy and shared by the CLI
(``reflib search -q``) and the dashboard's search box, so both find and order the same studies.

Matching: the query is split into words; the longest run of words that is a topic name or synonym becomes one
term whose alternatives are that topic's name and synonyms (abbreviations as whole words, so "SIS" does not
match "analysis"),
plus the topic itself (records tagged with it or a subtopic). Other words are plain substrings, as before. A
record matches when every term matches. Ranking: a term found in the title counts most, then in the abstract,
then elsewhere (authors, a topic tag); ties go to the newest study.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .textfold import fold_words

__all__ = ["SearchTerm", "UnknownFilterError", "Vocabulary", "close_matches", "parse_search", "rank_positions",
           "resolve_entry", "resolve_topic", "term_masks", "warm"]

MAX_PHRASE = 6  # words: the longest synonym in the taxonomy has five
TITLE, ABSTRACT, ELSEWHERE = 4, 2, 1


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """One part of a query: the words as typed, what they stand for (regular expressions over lower-cased text,
    RE2 syntax) and the topics whose records match without saying it."""

    text: str
    patterns: tuple[str, ...]
    topics: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()  # every whole-word alternative of the vocabulary (see abbreviation_rows)

    @property
    def regex(self) -> str:
        return "|".join(self.patterns)

    @property
    def literal_regex(self) -> str:
        """The alternatives that start with a literal (RE2 scans for those fast); '' when there are none."""
        return "|".join(p for p in self.patterns if not p.startswith("\\b"))

    @property
    def word_regex(self) -> str:
        """The whole-word alternatives (abbreviations: 'sis' must not match 'analysis'); '' when none."""
        return "|".join(p for p in self.patterns if p.startswith("\\b"))

    def explain(self) -> str:
        """'HSG: also hysterosalpingography, …; topic Diagnostics > Tubal patency > HSG' (for the user)."""
        if not self.topics:
            return self.text
        return f"{self.text} (also: {', '.join(self.alternatives())}; topic {' / '.join(self.topics)})"

    def alternatives(self) -> list[str]:
        return [p.replace("\\b", "").replace("\\", "") for p in self.patterns]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Topic names and synonyms (folded: :func:`library.textfold.fold`) -> the topic paths they name; built once
    per taxonomy."""

    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # topic path -> its name and synonyms

    @property
    def abbreviations(self) -> tuple[str, ...]:
        """Every alternative matched as a whole word, as regular expressions, in a stable order."""
        return tuple(sorted({_whole(a) for a in self.names if _is_abbreviation(a)}))

    @classmethod
    def from_topics(cls, topics: Iterable[tuple[str, str, Sequence[str]]]) -> Vocabulary:
        """``(path, name, synonyms)`` triples (``Taxonomy`` gives them; tests can make their own)."""
        names: dict[str, list[str]] = {}
        words: dict[str, tuple[str, ...]] = {}
        for path, name, synonyms in topics:
            spelled = tuple(dict.fromkeys(f for f in map(fold_words, (name, *synonyms)) if f))
            words[path] = spelled
            for item in spelled:
                names.setdefault(item, []).append(path)
        return cls({k: tuple(v) for k, v in names.items()}, words)

    @classmethod
    def from_taxonomy(cls, taxonomy: object) -> Vocabulary:
        return cls.from_topics((t.path, t.name, t.synonyms) for t in taxonomy)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.words)))


def _is_abbreviation(alternative: str) -> bool:
    return len(alternative) <= 5 and alternative.isalnum()


def _whole(alternative: str) -> str:
    """A name as a regular expression: an abbreviation (up to 5 letters or digits: SIS, HSG, NFP) as a whole
    word, so 'sis' does not match 'analysis'; a longer name as it is (a substring, like a typed word)."""
    escaped = re.escape(alternative)
    return rf"\b{escaped}\b" if _is_abbreviation(alternative) else escaped


def parse_search(query: str, vocabulary: Vocabulary | None = None) -> list[SearchTerm]:
    """The query as terms (see the module docstring); an empty query gives no terms. The query is folded as the
    searched text is (lower case, no accents: "muller" finds "Müller", "Müller" finds "Muller")."""
    pairs = [(word, folded) for word in query.split() if (folded := fold_words(word))]
    typed, tokens = [word for word, _ in pairs], [folded for _, folded in pairs]
    terms: list[SearchTerm] = []
    i = 0
    while i < len(tokens):
        found = None
        if vocabulary is not None and vocabulary.names:
            for size in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
                phrase = " ".join(tokens[i:i + size])
                if phrase in vocabulary.names:
                    found = (size, phrase)
                    break
        if found is None:
            terms.append(SearchTerm(typed[i].casefold(), (re.escape(tokens[i]),)))
            i += 1
            continue
        size, phrase = found
        topics = vocabulary.names[phrase] if vocabulary else ()
        alternatives = dict.fromkeys([phrase, *(w for t in topics for w in (vocabulary.words[t] if vocabulary
                                                                              else ()))])
        terms.append(SearchTerm(" ".join(typed[i:i + size]), tuple(_whole(a) for a in alternatives),
                                tuple(topics), vocabulary.abbreviations if vocabulary else ()))
        i += size
    return terms


def _topic_hit(topic: str, wanted: tuple[str, ...]) -> bool:
    lowered = topic.casefold()
    return any(lowered == w.casefold() or lowered.startswith(w.casefold() + " >") for w in wanted)


def abbreviation_rows(frame: pd.DataFrame, text: pa.Array, abbreviations: tuple[str, ...]) -> np.ndarray:
    """Rows whose search text holds any of the vocabulary's abbreviations as a whole word, once per frame.

    A regular expression that starts with a word boundary cannot use RE2's fast literal scan (about 300 ms over
    100k records instead of 35 ms), so all abbreviations are found in one pass, kept with the frame, and each
    search then checks its own on these few rows only."""
    from .derived import derived

    def build() -> np.ndarray:
        if not abbreviations:
            return np.zeros(0, dtype=np.int64)
        found = pc.match_substring_regex(text, "|".join(abbreviations)).to_numpy(zero_copy_only=False)
        return np.flatnonzero(found)

    return derived(frame, f"abbreviations:{hash(abbreviations)}", (text,), build)  # type: ignore[return-value]


def text_hits(frame: pd.DataFrame, text: pa.Array, rows: np.ndarray, term: SearchTerm) -> np.ndarray:
    """Which of ``rows`` (``text``: their lower-cased search text) contain the term in words."""
    found = (pc.match_substring_regex(text, term.literal_regex).to_numpy(zero_copy_only=False)
             if term.literal_regex else np.zeros(len(rows), dtype=bool))
    if term.word_regex:
        from .derived import search_text

        full = search_text(frame)
        candidates = abbreviation_rows(frame, full, term.abbreviations) if term.abbreviations else np.arange(
            len(frame))
        candidates = np.intersect1d(candidates, rows, assume_unique=True)
        if len(candidates):
            hit = pc.match_substring_regex(full.take(pa.array(candidates, pa.int64())),
                                           term.word_regex).to_numpy(zero_copy_only=False)
            found = found | np.isin(rows, candidates[hit], assume_unique=True)
    return found


def _frame_hits(frame: pd.DataFrame, term: SearchTerm) -> np.ndarray:
    """``text_hits`` over every row, kept with the frame per vocabulary term (a finite set): searching the
    same name again, re-sorting or ranking costs nothing."""
    from .derived import derived, search_text

    full = search_text(frame)
    key = "hits:" + "|".join(sorted(term.patterns))  # 'SIS' and 'saline infusion sonography' are one term
    return derived(frame, key, (full,),  # type: ignore[return-value]
                   lambda: text_hits(frame, full, np.arange(len(frame)), term))


def warm(frame: pd.DataFrame, vocabulary: Vocabulary) -> int:
    """Find every vocabulary term in ``frame`` ahead of any search (for scripts and benchmarks that want every
    search to cost the same); returns how many terms were prepared."""
    done = set()
    for name in vocabulary.names:
        for term in parse_search(name, vocabulary):
            key = tuple(sorted(term.patterns))
            if term.topics and key not in done:
                done.add(key)
                _frame_hits(frame, term)
    return len(done)


def _tagged(frame: pd.DataFrame, term: SearchTerm) -> np.ndarray:
    from .derived import list_mask

    wanted = term.topics
    return list_mask(frame, "topics", lambda t: _topic_hit(t, wanted))


def term_masks(frame: pd.DataFrame, text: pa.Array, rows: np.ndarray, terms: Sequence[SearchTerm]) -> np.ndarray:
    """Which of ``rows`` (positions in ``frame``; ``text`` holds their lower-cased search text) match all terms."""
    hit = np.ones(len(rows), dtype=bool)
    for term in terms:
        if term.topics:
            found = _frame_hits(frame, term)[rows] | _tagged(frame, term)[rows]
        else:
            found = text_hits(frame, text, rows, term)
        hit &= found
    return hit


def _title_hits(frame: pd.DataFrame, positions: np.ndarray, term: SearchTerm) -> np.ndarray:
    """Which of ``positions`` have the term in the title. A vocabulary term's hits over every title are kept with
    the frame (a finite set); a typed word is tested on all titles when most rows are asked for (one scan of the
    lower-cased titles), else on the asked rows' titles only."""
    from .derived import derived, lowered_titles

    titles = lowered_titles(frame)
    if term.topics:
        key = "title-hits:" + "|".join(sorted(term.patterns))
        every = derived(frame, key, (titles,),
                        lambda: pc.match_substring_regex(titles, term.regex).to_numpy(zero_copy_only=False))
        return every[positions]  # type: ignore[index,no-any-return]
    if len(positions) * 4 >= len(frame):
        return pc.match_substring_regex(titles, term.regex).to_numpy(zero_copy_only=False)[positions]
    taken = titles.take(pa.array(positions, pa.int64()))
    return pc.match_substring_regex(taken, term.regex).to_numpy(zero_copy_only=False)


def rank_positions(frame: pd.DataFrame, positions: np.ndarray, terms: Sequence[SearchTerm]) -> np.ndarray:
    """``positions`` (all matching) best first: a term in the title counts most, then in the abstract (or the
    authors), then only as a topic tag; newest first among equals."""
    if len(positions) == 0 or not terms:
        return positions
    score = np.zeros(len(positions), dtype=np.int64)
    for term in terms:
        in_title = _title_hits(frame, positions, term)
        # a widened term may match by its tag alone; a plain word matched in the text, or the row would not be here
        in_text = _frame_hits(frame, term)[positions] if term.topics else np.ones(len(positions), dtype=bool)
        score += np.where(in_title, TITLE, np.where(in_text, ABSTRACT, ELSEWHERE))
    years = frame["year"].to_numpy(dtype="float64", na_value=np.nan)[positions]
    years = np.where(np.isnan(years), -np.inf, years)
    return positions[np.lexsort((-years, -score))]


def close_matches(wanted: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` choices spelled like ``wanted`` (case-insensitive), for "did you mean" messages."""
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(choice.casefold(), choice)
        last = choice.rsplit(">", 1)[-1].strip().casefold()
        by_folded.setdefault(last, choice)
    close = difflib.get_close_matches(wanted.strip().casefold(), list(by_folded), n=n * 2, cutoff=0.5)
    contains = [c for c in by_folded if wanted.strip().casefold() in c] if len(wanted.strip()) >= 2 else []
    return list(dict.fromkeys(by_folded[c] for c in [*close, *contains]))[:n]


class UnknownFilterError(ValueError):
    """A topic or entry named on the command line that neither the taxonomy nor the library knows (exit 2)."""


def resolve_topic(text: str, taxonomy: object | None, present: Iterable[str] = (),
                  vocabulary: Vocabulary | None = None) -> str:
    """What a user typed -> a topic path: the full path, an id, a name (the last segment) or synonym that only
    one topic has; the library's own topics count too (a file may use topics the taxonomy lacks)."""
    wanted = " ".join(text.split())
    folded = wanted.casefold()
    known = [t.path for t in taxonomy] if taxonomy is not None else []  # type: ignore[attr-defined]
    paths = list(dict.fromkeys([*known, *present]))
    for path in paths:
        if path.casefold() == folded:
            return path
    if taxonomy is not None:
        topic = taxonomy.by_id(wanted)  # type: ignore[attr-defined]
        if topic is not None:
            return str(topic.path)
    # a path's last segment, then a unique synonym
    named = list(dict.fromkeys(p for p in paths if p.rsplit(">", 1)[-1].strip().casefold() == folded))
    if not named and vocabulary is not None:
        named = list(vocabulary.names.get(folded, ()))
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise UnknownFilterError(f"topic {wanted!r} is ambiguous: {'; '.join(named)} (give the full path)")
    close = close_matches(wanted, paths)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownFilterError(f"unknown topic {wanted!r}{hint}")


def resolve_entry(text: str, titles: dict[str, str], present: Iterable[str] = ()) -> str:
    """An encyclopedia entry by slug or title (``titles`` maps slug -> title) -> its slug."""
    wanted = text.strip()
    slugs = list(dict.fromkeys([*titles, *present]))
    for slug in slugs:
        if slug.casefold() == wanted.casefold():
            return slug
    by_title = [slug for slug, title in titles.items() if title.casefold() == wanted.casefold()]
    if len(by_title) == 1:
        return by_title[0]
    choices = {**{slug: slug for slug in slugs}, **{title: slug for slug, title in titles.items()}}
    close = list(dict.fromkeys(choices[c] for c in close_matches(wanted, list(choices))))
    hint = ("; did you mean " + " or ".join(f"{c!r} ({titles[c]})" if c in titles else repr(c) for c in close) + "?"
            if close else "")
    return _raise_entry(wanted, hint)


def _raise_entry(wanted: str, hint: str) -> str:
    raise UnknownFilterError(f"unknown encyclopedia entry {wanted!r}{hint}")
