"""Study design: the vocabulary, and rules that derive ``design_auto`` from what a record says about itself.

Vocabulary (stored in ``design`` / ``design_auto``; these exact slugs):

==================== =====================================================================================
slug                 meaning
==================== =====================================================================================
systematic-review    systematic review without (or not reported as) a meta-analysis; Cochrane reviews; umbrella
                     reviews and overviews of reviews
scoping-review       scoping review (also "systematic scoping review"): maps what was studied without appraising
                     or pooling results, so it gets no evidence level
meta-analysis        meta-analysis, including network and individual-patient-data meta-analyses
rct                  randomized controlled trial, including follow-up reports and non-inferiority trials
non-randomized-trial controlled or single-arm trial where investigators allocate without randomization
cohort               prospective or retrospective cohort / follow-up study, patients grouped by exposure
case-control         case-control study
cross-sectional      cross-sectional study or survey, one point in time (including dose measurements)
diagnostic-accuracy  test accuracy or test comparison study (sensitivity, specificity, predictive values)
case-series          case series: consecutive patients treated or tested, no comparison group
case-report          report of one or a few patients
guideline            practice guideline, committee opinion, technology assessment, consensus statement
narrative-review     review that is not systematic, including "perspectives" and overviews
editorial            editorial, commentary, letter, reply
protocol             protocol of a trial or review (no results yet)
preclinical          animal experiment or laboratory (in-vitro) study: not human clinical evidence, no OCEBM level
other                anything else: modelling, phantom or Monte Carlo studies, laboratory work without cells
==================== =====================================================================================

Rules, strongest first. Tier 1: PubMed publication types that name a design unambiguously, and Cochrane DOIs
(a DOI without ``.pubN`` is a protocol: the first full review is ``.pub2``). Then a correction or retraction
notice ("Erratum: ...", "Corrigendum to ...", "RETRACTED: ...") is an editorial whatever its title says of the
article it corrects. Tier 2: title patterns, design
MeSH headings (Cohort / Case-Control / Cross-Sectional Studies, Sensitivity and Specificity, ...), the design
statement of an abstract ("Design: retrospective cohort study", "we conducted a randomized ..."), and weak
publication types (Review, Clinical Trial, Observational Study). Within a tier the design first in
:data:`PRIORITY` wins, so that "a meta-analysis of randomized trials" is a meta-analysis. No rule firing gives
'' (unknown), never a guess: editors see what is unclassified. Last, animal and in-vitro studies
(:mod:`.species`) become ``preclinical`` unless they are reviews, editorials, guidelines or protocols.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Record
from .patterns import compile_pattern
from .species import MAX_TEXT, Species, detect_species

__all__ = ["DESIGNS", "DESIGN_LABELS", "PRIORITY", "PUBLICATION_FORMS", "DesignGuess", "detect_design", "mesh_heading"]

DESIGN_LABELS = {
    "systematic-review": "Systematic review",
    "scoping-review": "Scoping review",
    "meta-analysis": "Meta-analysis",
    "rct": "Randomized controlled trial",
    "non-randomized-trial": "Non-randomized trial",
    "cohort": "Cohort study",
    "case-control": "Case-control study",
    "cross-sectional": "Cross-sectional study",
    "diagnostic-accuracy": "Diagnostic accuracy study",
    "case-series": "Case series",
    "case-report": "Case report",
    "guideline": "Guideline",
    "narrative-review": "Narrative review",
    "editorial": "Editorial / commentary",
    "protocol": "Protocol",
    "preclinical": "Preclinical (animal / in vitro)",
    "other": "Other",
}
DESIGNS = tuple(DESIGN_LABELS)
PRIORITY = ("protocol", "meta-analysis", "scoping-review", "systematic-review", "guideline", "rct",
            "non-randomized-trial", "editorial", "case-report", "narrative-review", "diagnostic-accuracy",
            "case-control", "cohort", "cross-sectional", "case-series", "preclinical", "other")
_RANK = {d: i for i, d in enumerate(PRIORITY)}
# designs that say what kind of publication a record is, not how a study was done: kept for preclinical work
PUBLICATION_FORMS = frozenset({"systematic-review", "scoping-review", "meta-analysis", "guideline",
                               "narrative-review", "editorial", "protocol"})

STRONG_PUBTYPES = {
    "clinical trial protocol": "protocol",
    "meta-analysis": "meta-analysis",
    "network meta-analysis": "meta-analysis",
    "systematic review": "systematic-review",
    "scoping review": "scoping-review",
    "practice guideline": "guideline",
    "guideline": "guideline",
    "consensus development conference": "guideline",
    "consensus development conference, nih": "guideline",
    "randomized controlled trial": "rct",
    "controlled clinical trial": "non-randomized-trial",
    "case reports": "case-report",
    "editorial": "editorial",
    "comment": "editorial",
    "letter": "editorial",
}
WEAK_PUBTYPES = {
    "review": "narrative-review",
    "clinical trial": "non-randomized-trial",
    "clinical trial, phase i": "non-randomized-trial",
    "clinical trial, phase ii": "non-randomized-trial",
    "clinical trial, phase iii": "non-randomized-trial",
    "clinical trial, phase iv": "non-randomized-trial",
    "observational study": "cohort",
}
DESIGN_MESH = {  # MeSH headings that describe how a study was done (not "... as Topic", which is its subject)
    "random allocation": "rct",
    "case-control studies": "case-control",
    "cohort studies": "cohort",
    "prospective studies": "cohort",
    "retrospective studies": "cohort",
    "longitudinal studies": "cohort",
    "follow-up studies": "cohort",
    "cross-sectional studies": "cross-sectional",
    "sensitivity and specificity": "diagnostic-accuracy",
    "predictive value of tests": "diagnostic-accuracy",
    "roc curve": "diagnostic-accuracy",
    "false positive reactions": "diagnostic-accuracy",
    "false negative reactions": "diagnostic-accuracy",
}
_RANDOMIZED = r"(?<!non-)(?<!non )\brandomi[sz]ed\b"
_REPLY = r"(?:response to|reply to|comment on|commentary on)"
_LEAD = r"(?:(?:an?|in|our|(?:the )?authors'?)\s+)?"  # "... - a response to Walsham", "Authors' reply to X"
_PIECE = (r"(?:letters?|comments?|commentary|editorial|article|paper|authors?|critique|reviewers?|reply|response"
          r"|correspondence|\w+ et al)")
TITLE_PATTERNS = {
    # a study's own protocol (a review protocol is a protocol, not a review); not a treatment protocol
    "protocol": (r"\b(study|trial|review|research|map) protocol\b|\bprotocol (for|of) (a|an|the)\b|: protocol\.?$"
                 r"|\bprotocol and (rationale|design|statistical analysis plan)\b|\bdesign and rationale\b"),
    "meta-analysis": r"\bmeta-?analys[ie]s\b|\bpooled analysis\b",
    "scoping-review": r"\bscoping review\b",
    "systematic-review": (r"\bsystematic(ally)? (literature )?review\b|\bumbrella review\b"
                          r"|\boverview of (systematic )?reviews\b|\boverview of meta-?analyses\b"),
    "guideline": (r"\bguidelines?\b|\bcommittee opinion\b|\bpractice bulletin\b|\btechnology assessment\b"
                  r"|\bconsensus (statement|conference)\b|\bposition (statement|paper)\b"),
    "rct": _RANDOMIZED + r"[^.:;?]*\btrial\b(?!s)|\brct\b",
    "non-randomized-trial": r"\bnon-?randomi[sz]ed\b[^.:;?]*\btrial\b(?!s)|\bsingle-arm\b|\bpilot trial\b",
    # "response to" / "reply to" / "comment on" only where they name the piece ("Response to ...", "...: reply to
    # ...", "comment on the article by ..."): "clinical response to gefitinib" is a study
    # (benchmarks/data/design-editorial-round.md)
    "editorial": (r"^(editorial|comment(ary)?|letter|reply|response)\b"
                  r"|\b(letter to the editor|in reply)\b"
                  rf"|^(?:re:\s*)?{_LEAD}{_REPLY}\b"
                  rf"|[:.\u2013\u2014-]\s+{_LEAD}{_REPLY}\b"
                  rf"|\b{_REPLY}(?:\s+\S+){{0,2}}?\s+{_PIECE}\b"),
    "case-report": r"\bcase report\b|\ba (rare )?case of\b|\breport of (a|an|one|two|three) cases?\b",
    "narrative-review": (r"^(a )?review\b|: (a )?review\b|\b(narrative|literature|critical|clinical|brief|mini|"
                         r"historical) review\b|\breview of (the )?(literature|evidence)\b|\boverview\b"
                         r"|\bperspectives\b|\bupdate on\b|\bstate of the art\b"),
    "diagnostic-accuracy": (r"\bdiagnostic (accuracy|performance|value)\b|\baccuracy of\b|\bsensitivity and "
                            r"specificity\b|\bpredictive value\b|\breceiver operating\b"
                            r"|\bcompar\w*\b[^.:;?]*\b(diagnos\w*|detect\w*|to test|assess\w*|evaluat\w*)\b"),
    "case-control": r"\bcase-?control\b",
    "cohort": (r"\bcohort\b|\b(prospective|retrospective) (study|analysis|observational)\b|\bfollow-up study\b"
               r"|\blongitudinal study\b|\bregistry-based\b"),
    "cross-sectional": r"\bcross-?sectional\b|\bsurvey\b|\bquestionnaire\b",
    "case-series": r"\bcase series\b|\bour experience\b|\bconsecutive (patients|women|cases)\b",
    "other": r"\bphantom\b|\bmonte carlo\b|\bin silico\b|\bcomputer simulation\b|\bcadaver",
}
# what an abstract says about its own design ("Design: ...", "we conducted a ...", "this was a ...")
_ABSTRACT_TERMS = {
    # the study's own protocol; "according to the ... treatment protocol" or "a new protocol to culture ..." is not
    "protocol": (r"(study|trial|review|research|map) protocol|this protocol\b"
                 r"|protocol (for|of) (a|an|the|this)\b[^.]*?\b(trial|study|review|map)"),
    "meta-analysis": r"meta-?analys[ie]s",
    "scoping-review": r"scoping review",
    "systematic-review": r"systematic (literature )?review",
    "rct": _RANDOMIZED + r"[^.]*?\btrial\b|\brct\b",
    "non-randomized-trial": r"non-?randomi[sz]ed\b[^.]*?\b(trial|study)|single-arm",
    "case-control": r"case-?control",
    "cohort": r"cohort|(prospective|retrospective) (study|analysis|observational)",
    "cross-sectional": r"cross-?sectional|survey",
    "diagnostic-accuracy": r"diagnostic (accuracy|test|study)|accuracy study",
    "case-series": r"case series|descriptive study",
    "case-report": r"case report",
    "narrative-review": r"(narrative|literature) review|review of the literature",
}
# the sentences of an abstract that state its design; the terms above are only looked for in them, so that
# "previous meta-analyses showed ..." in an RCT's background does not count
# Written as alternatives that each start with a word (see patterns.py): the leftmost one is found by literal
# searches instead of trying the expression at every position of a long abstract.
STATEMENT = (r"\bstudy design\s*:[^.\n]*|\bdesign\s*:[^.\n]*"
             r"|\bwe (?:conducted|performed|undertook|carried out|report|present|designed|did) (?:a|an)\b[^.\n]*"
             r"|\bthis (?:was|is) (?:a|an)\b[^.\n]*|\bthe present (?:was|is) (?:a|an)\b[^.\n]*")
_STATEMENT = compile_pattern(STATEMENT)
_TITLE = {d: compile_pattern(p) for d, p in TITLE_PATTERNS.items()}
_ABSTRACT = {d: compile_pattern(r"\b(?:" + p + r")") for d, p in _ABSTRACT_TERMS.items()}
_NOTICE = re.compile(r"(?:correction|corrigendum|erratum|retraction|retracted|notice of retraction"
                     r"|expression of concern|withdrawn)\b\s*(?::|to\b|notice\b)")  # not "correction of": a treatment
_COCHRANE_DOI = re.compile(r"^10\.1002/14651858\.(CD\d+)(\.pub\d+)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DesignGuess:
    design: str  # '' when no rule fired
    reason: str = ""  # which rule decided, for editors checking an automatic value


def mesh_heading(term: str) -> str:
    """'Hysterosalpingography/methods*' -> 'hysterosalpingography' (descriptor only, casefolded)."""
    return term.split("/", 1)[0].replace("*", "").strip().casefold()


def _strong(record: Record) -> list[tuple[str, str]]:
    found = [(STRONG_PUBTYPES[p.strip().casefold()], f"publication type {p.strip()!r}")
             for p in record.pubtypes if p.strip().casefold() in STRONG_PUBTYPES]
    match = _COCHRANE_DOI.match(record.doi.strip())
    if match:
        found.append(("systematic-review", "Cochrane review DOI") if match.group(2)
                     else ("protocol", "Cochrane DOI without .pubN (the protocol; reviews start at .pub2)"))
    elif "cochrane database" in record.journal.casefold():
        found.append(("systematic-review", "published in the Cochrane Database of Systematic Reviews"))
    return found


def statements(abstract: str) -> list[str]:
    """The design statements of a lower-cased abstract, as ``re.finditer`` of :data:`STATEMENT` finds them. A
    statement runs to the end of its sentence, so the next one is searched for after a '.', a line break or the
    end, where a word boundary holds as it does at the start of the remaining text."""
    found: list[str] = []
    rest = abstract
    while rest:
        match = _STATEMENT.search(rest)
        if match is None:
            break
        found.append(match.group(0))
        rest = rest[match.end():]
    return found


def _weak(record: Record) -> list[tuple[str, str]]:
    found = [(WEAK_PUBTYPES[p.strip().casefold()], f"publication type {p.strip()!r}")
             for p in record.pubtypes if p.strip().casefold() in WEAK_PUBTYPES]
    for term in record.mesh:
        design = DESIGN_MESH.get(mesh_heading(term))
        if design:
            found.append((design, f"MeSH {term.replace('*', '').strip()!r}"))
    title = record.title.lower()  # patterns are compiled for lower-cased text (see patterns.py)
    for design, pattern in _TITLE.items():
        match = pattern.search(title)
        if match:
            found.append((design, f"title says {match.group(0)!r}"))
    abstract = record.abstract[:MAX_TEXT].lower()  # a pasted full text is read no further than topics are
    for statement in statements(abstract):
        for design, pattern in _ABSTRACT.items():
            if pattern.search(statement):
                found.append((design, f"abstract says {' '.join(statement.split())[:70]!r}"))
    return found


def _notice(record: Record) -> list[tuple[str, str]]:
    """A correction or retraction notice: its title names the article it corrects, but it is not a study."""
    if _NOTICE.match(record.title.lstrip().lower()):
        return [("editorial", "title: a correction / retraction notice, not a study")]
    return []


def _rules(record: Record) -> DesignGuess:
    for found in (_strong(record), _notice(record), _weak(record)):
        if found:
            design, reason = min(found, key=lambda item: _RANK[item[0]])
            return DesignGuess(design, reason)
    return DesignGuess("")


def detect_design(record: Record, species: Species | None = None) -> DesignGuess:
    """The design the rules give for a record, with the reason; reads only bibliographic fields.

    An animal or in-vitro study (see :mod:`.species`) is ``preclinical`` whatever its methods say: "randomly
    allocated rats" is not a randomized controlled trial in the OCEBM sense. Reviews, editorials, guidelines and
    protocols keep their design (a review of animal studies is a review; it gets no topic and no level anyway).
    """
    guess = _rules(record)
    species = species if species is not None else detect_species(record)
    if species.non_human and guess.design not in PUBLICATION_FORMS:
        said = f"; the design rules alone said {guess.design} ({guess.reason})" if guess.design else ""
        what = "animal study" if species.kind == "animal" else "laboratory (in-vitro) study"
        return DesignGuess("preclinical", f"{what}: {species.reason}{said}")
    return guess
