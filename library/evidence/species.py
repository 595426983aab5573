"""Whose evidence a record is: human, animal-only, or in vitro — with the reason, for editors to check.

Animal experiments and laboratory (cell, tissue) studies are not human clinical evidence: they get the design
``preclinical``, no OCEBM level, and no topic whose ``species`` is ``human`` (the default; see ``taxonomy.toml``).
A wrong "animal" verdict would hide a human study, so the rules only say ``animal`` or ``in-vitro`` when the record
says so clearly, and ``""`` (unknown) otherwise; unknown is treated like human.

MeSH first, when the record is indexed: NLM indexers add the check tags ``Humans`` and ``Animals`` to every
indexed study of people or animals, so ``Animals`` without ``Humans`` is an animal-only study; in-vitro
descriptors (``Cells, Cultured``, ``Cell Line`` ...) without any age-group check tag (``Adult``, ``Child`` ...,
which only studies of people get) are laboratory work. Without MeSH (recent or unindexed records): a veterinary
journal or publication type, or animal subjects named in the title or repeatedly in the abstract, with no human
subjects (patients, women, men, children, volunteers ...) anywhere; the same for "in vitro" / cell lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Record
from .literals import LiteralScan

__all__ = ["NON_HUMAN", "Species", "detect_species"]

NON_HUMAN = frozenset({"animal", "in-vitro"})
MAX_TEXT = 6_000  # characters of abstract read: enough for nearly any real abstract, bounded for pasted full texts

_IN_VITRO_MESH = frozenset({
    "in vitro techniques", "cells, cultured", "cell line", "cell line, tumor", "cell culture techniques",
    "tissue culture techniques", "organ culture techniques", "primary cell culture", "coculture techniques",
    "cell line, transformed", "hep g2 cells", "hela cells", "mcf-7 cells", "hek293 cells", "caco-2 cells"})
# check tags only studies of people get (the "Pregnancy" and sex tags are given to animal studies too)
_AGE_GROUPS = frozenset({
    "infant, newborn", "infant", "child, preschool", "child", "adolescent", "young adult", "adult", "middle aged",
    "aged", "aged, 80 and over", "infant, premature"})
_VET_PUBTYPES = frozenset({"randomized controlled trial, veterinary", "clinical trial, veterinary",
                           "observational study, veterinary", "veterinary"})
_VET_JOURNAL = re.compile(r"\bvet|veterin|theriogenolog|\banimal|\bdomest\w* anim|\bpoultry\b|\bequine\b|"
                          r"\bdairy sci|\bwildl|\blab\w* anim|\bzoo (biol|med)", re.IGNORECASE)
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ANIMAL_WORDS = _words("""
rat rats mice mouse murine rodent rodents rabbit rabbits hamster hamsters dog dogs canine bitch bitches cat cats
feline pig pigs piglet piglets porcine swine sows gilts boar boars cattle cow cows heifer heifers bull bulls bovine
steer steers sheep ewe ewes rams lamb lambs ovine goat goats caprine horse horses mare mares stallion stallions
equine foal foals camel camels buffalo buffaloes monkey monkeys macaque macaques baboon baboons marmoset marmosets
chicken chickens chick chicks hens broiler broilers rooster roosters poultry quail quails duck ducks zebrafish
drosophila elegans caenorhabditis xenopus frog frogs trout salmon goldfish deer ferret ferrets mink minks bats
dolphin dolphins bird birds nematode nematodes insect insects larvae snail snails planarian planarians flatworm
flatworms animal animals ovariectomized ovariectomised ovx transgenic""")
_LAB_WORDS = _words("""
transfected transfection knockdown knock-down sirna shrna xenograft xenografts luciferase immunofluorescence cck-8
knockout knock-out plasmid plasmids rt-pcr rt-qpcr qpcr qrt-pcr cultured""")
_PAIRS = {("in", "vitro"): "lab", ("in", "vivo"): "lab", ("cell", "line"): "lab", ("cell", "lines"): "lab",
          ("western", "blot"): "lab", ("western", "blotting"): "lab", ("in", "silico"): "lab",
          ("guinea", "pig"): "animal", ("guinea", "pigs"): "animal"}
_NOT_LAB = frozenset({"fertilization", "fertilisation", "fertilized", "maturation"})  # in vitro fertilization: IVF
# people as the subjects of a study ("human chorionic gonadotropin" given to cows is not a human subject)
_PEOPLE_WORDS = _words("""
patient patients women woman men man girls girl boys boy children child infants infant neonates neonate newborns
newborn adults adolescents adolescent participants participant volunteers volunteer persons people individuals
couples mothers mother pregnancies outpatients inpatients cohort hospitalized hospitalised enrolled recruited
humans subjects""")
_WORD = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
# how trials in people describe themselves: laboratory work never does ("in vivo" and "in vitro" in a trial in
# volunteers are measurements, not the kind of study); veterinary trials do, so this never vetoes "animal"
_TRIAL_IN_PEOPLE = re.compile(r"double[- ]blind|placebo[- ]controlled|randomi[sz]ed[, ]+controlled trial|"
                              r"healthy (?:male |female )?volunteers|\bclinical trial\b(?!s)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Species:
    kind: str  # "human" | "animal" | "in-vitro" | "" (unknown: not enough said; treated like human)
    reason: str = ""

    @property
    def non_human(self) -> bool:
        return self.kind in NON_HUMAN


def _heading(term: str) -> str:
    return term.split("/", 1)[0].replace("*", "").strip().casefold()


def _from_mesh(headings: set[str]) -> Species | None:
    humans, animals = "humans" in headings, "animals" in headings
    lab = sorted(headings & _IN_VITRO_MESH)
    if lab and not headings & _AGE_GROUPS and not animals:
        who = "human cells" if humans else "no people or animals"
        return Species("in-vitro", f"MeSH {lab[0].title()!r} without an age-group check tag ({who})")
    if animals and not humans:
        return Species("animal", "MeSH 'Animals' without 'Humans'")
    if humans:
        return Species("human", "MeSH 'Humans'")
    return None


_TRIGGERS = _ANIMAL_WORDS | _LAB_WORDS | {second for _, second in _PAIRS}
_TRIGGER_SCAN = LiteralScan(_TRIGGERS)
_IN_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")  # what _WORD's words are made of


def trigger_words(text: str) -> frozenset[str]:
    """The trigger words among all of _WORD's words of ``text`` (the slow reference that :func:`has_trigger` must
    agree with)."""
    return _TRIGGERS.intersection(_WORD.findall(text))


def has_trigger(text: str) -> bool:
    """Whether one of _WORD's words of ``text`` is a trigger, without listing the words: a word is the run of word
    characters around a trigger's occurrence, less its leading and trailing '.' and '-' (as _WORD reads it)."""
    for start, end in _TRIGGER_SCAN.spans(text):
        left, right = start, end
        while left and text[left - 1] in _IN_WORD:
            left -= 1
        while right < len(text) and text[right] in _IN_WORD:
            right += 1
        if text[left:right].strip(".-") == text[start:end]:
            return True
    return False


def word_counts(text: str) -> tuple[int, int, int, str]:
    """(animal, laboratory, people) words in lower-cased text, and the first animal word."""
    if not has_trigger(text):  # one pass, no word list: most abstracts, however long
        return 0, 0, 0, ""
    words = _WORD.findall(text)
    if _TRIGGERS.isdisjoint(words):  # most texts: no animal or laboratory word, nothing to weigh
        return 0, 0, 0, ""
    animals = lab = people = 0
    first = ""
    for i, word in enumerate(words):
        if word in _ANIMAL_WORDS:
            animals += 1
            first = first or word
        elif word in _LAB_WORDS:
            lab += 1
        elif word in _PEOPLE_WORDS:
            people += 1
        elif word in ("in", "cell", "western", "guinea") and i + 1 < len(words):
            kind = _PAIRS.get((word, words[i + 1]))
            if kind == "animal":
                animals += 1
                first = first or f"{word} {words[i + 1]}"
            elif kind == "lab" and (i + 2 >= len(words) or words[i + 2] not in _NOT_LAB):
                lab += 1
    return animals, lab, people, first


def _from_text(record: Record) -> Species:
    """Without MeSH: veterinary publication types and journals, then animal, laboratory and people words weighed."""
    vet = next((p for p in record.pubtypes if p.strip().casefold() in _VET_PUBTYPES), "")
    if vet:
        return Species("animal", f"publication type {vet.strip()!r}")
    if _VET_JOURNAL.search(record.journal):
        return Species("animal", f"veterinary or animal-science journal ({record.journal.strip()[:60]})")
    ta, tl, tp, first = word_counts(record.title.lower())
    aa, al, ap, later = word_counts(record.abstract[:MAX_TEXT].lower())
    animals, lab, people = 3 * ta + aa, 3 * tl + al, 3 * tp + ap  # a word in the title counts three times
    # people named about as often as the work itself: a clinical or mixed study. Background sentences
    # ("osteoporotic patients suffer ...") only outweigh a few animal or laboratory words.
    if animals + lab < 3 or people * 3 > animals + lab:
        return Species("")
    counts = f"{animals} animal, {lab} laboratory and {people} people words (title words count 3)"
    if animals >= 2:
        return Species("animal", f"animal subjects ({first or later!r} ...): {counts}")
    trial = _TRIAL_IN_PEOPLE.search(record.title) or _TRIAL_IN_PEOPLE.search(record.abstract[:MAX_TEXT])
    if trial:
        return Species("human", f"a trial in people ({trial.group(0)!r}), not laboratory work: {counts}")
    return Species("in-vitro", f"laboratory study: {counts}")


def detect_species(record: Record) -> Species:
    """Human, animal-only or in-vitro, with the reason ('' kind when the record does not say).

    MeSH that names both Humans and Animals (older indexing adds Humans to animal tests of drugs meant for
    people) is settled by the text: animals in the title and no people make it an animal study.
    """
    if record.mesh:
        headings = {_heading(t) for t in record.mesh}
        found = _from_mesh(headings)
        if found is not None and found.kind == "human" and "animals" in headings:
            text = _from_text(record)
            if text.kind == "animal":
                return Species("animal", f"MeSH names Humans and Animals; {text.reason}")
        if found is not None:
            return found
    return _from_text(record)
