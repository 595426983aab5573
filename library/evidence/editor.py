"""Editor fields of a study (stance, relevance, design, level, GRADE, synopsis, notes, verification), validated.

These are the values only people set; classification never writes them. Validation happens here, once, so that
the CLI (``reflib set``) and the dashboard accept and refuse the same things with the same messages.
"""

from __future__ import annotations

import contextlib

from ..errors import LibraryError
from ..model import Record
from .design import DESIGNS
from .level import QUESTIONS, SCHEME, derive_level, format_level, level_problem, parse_level
from .taxonomy import Taxonomy

__all__ = ["EDITOR_FIELDS", "GRADE_CERTAINTIES", "STANCES", "InvalidValueError", "accept_topic", "level_for",
           "level_from_form", "level_warning", "parse_grade", "reject_topic", "set_field", "tag", "untag"]

STANCES = ("supportive", "neutral", "critical", "hostile")
GRADE_CERTAINTIES = ("high", "moderate", "low", "very low")
EDITOR_FIELDS = {
    "stance": f"one of {', '.join(STANCES)}",
    "relevance": "1 (not relevant) .. 5 (core)",
    "design": f"one of {', '.join(DESIGNS)}",
    "level": f"'{SCHEME} <question> <1-5>' or '<question> <1-5>'; question: {', '.join(QUESTIONS)}; not above "
             "what the study design allows unless level_reason says why",
    "level_reason": "why the level is above what the design allows (OCEBM 2011 grading up, e.g. dramatic effect)",
    "grade": f"GRADE certainty per claim: 'claim: certainty; ...', certainty {' | '.join(GRADE_CERTAINTIES)}",
    "tldr": "synopsis: one-sentence bottom line",
    "findings": "synopsis: key findings",
    "implications": "synopsis: clinical implications",
    "notes": "free notes",
    "unverified": "fields still to check against a source, or 'none' when all were checked",
    "retracted": "yes or no",
}


class InvalidValueError(LibraryError, ValueError):
    """A value outside a field's vocabulary; the message says what is allowed."""


def parse_grade(text: str) -> list[tuple[str, str]]:
    """'live birth: moderate; pain: low' -> [('live birth', 'moderate'), ('pain', 'low')]."""
    claims = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        claim, sep, certainty = part.rpartition(":")
        certainty = " ".join(certainty.lower().split())
        if not sep or not claim.strip() or certainty not in GRADE_CERTAINTIES:
            raise InvalidValueError(f"grade part {part!r} must be 'claim: certainty' with certainty one of "
                                    f"{', '.join(GRADE_CERTAINTIES)}")
        claims.append((claim.strip(), certainty))
    return claims


def _level(value: str) -> str:
    words = value.split()
    if len(words) == 2:  # "therapy 2": the default scheme
        words = [SCHEME, *words]
    try:
        return str(parse_level(" ".join(words)))
    except ValueError as exc:
        raise InvalidValueError(str(exc)) from exc


def set_field(record: Record, field: str, value: str) -> Record:
    """A copy of ``record`` with the editor field set (an empty value clears it); refuses invalid values."""
    if field not in EDITOR_FIELDS:
        raise InvalidValueError(f"unknown editor field {field!r}; valid: {', '.join(EDITOR_FIELDS)}")
    value = value.strip()
    out = record.copy()
    if field == "stance":
        if value and value.lower() not in STANCES:
            raise InvalidValueError(f"stance must be {EDITOR_FIELDS['stance']}, not {value!r}")
        out.stance = value.lower()
    elif field == "relevance":
        if value and not (value.isdecimal() and 1 <= int(value) <= 5):  # isdigit takes "²", int() does not
            raise InvalidValueError(f"relevance must be {EDITOR_FIELDS['relevance']}, not {value!r}")
        out.relevance = int(value) if value else None
        out.extra.pop("relevance", None)
    elif field == "design":
        if value and value not in DESIGNS:
            raise InvalidValueError(f"design must be {EDITOR_FIELDS['design']}, not {value!r}")
        out.design = value
    elif field == "level":
        out.level = _level(value) if value else ""
        problem = level_problem(out.effective_design, out.level, out.level_reason)
        if problem:
            raise InvalidValueError(f"{record.key}: {problem}")
    elif field == "grade":
        out.grade = "; ".join(f"{claim}: {certainty}" for claim, certainty in parse_grade(value))
    elif field in ("tldr", "findings", "implications"):
        setattr(out.synopsis, field, value)
    elif field == "retracted":
        if value.lower() not in ("yes", "no", "true", "false", ""):
            raise InvalidValueError(f"retracted must be yes or no, not {value!r}")
        out.retracted = value.lower() in ("yes", "true")
    else:  # notes, unverified, level_reason: free text
        setattr(out, field, value)
    return out


def level_warning(before: Record, after: Record) -> str:
    """What is now wrong with the level after an edit that was not wrong before ('' when nothing new): changing
    the design or clearing ``level_reason`` can leave a level the design does not allow. ``set_field`` refuses
    such a level when it is the level being set; for the other fields it is a warning, never a refusal (the
    editor may be about to set the level next)."""
    problem = level_problem(after.effective_design, after.effective_level, after.level_reason)
    if not problem or problem == level_problem(before.effective_design, before.effective_level, before.level_reason):
        return ""
    hint = "" if after.level else " (an automatic level: run `reflib classify`)"
    return f"{after.key}: {problem}{hint}"


def level_from_form(design: str, question: str, number: int | None, previous: str) -> str:
    """The level an editor's form means: ``number`` None is "as the design gives" (OCEBM 2011 table).

    Changing the question type recomputes the level, it never carries the old number over: a number left as it
    was (the form's default) while the question changed is read as "as the design gives" too, so choosing
    "diagnosis" for a case series stores level 4, not the 1 a form field happened to show. A number the editor
    did change is kept, and :func:`set_field` then refuses it if it is above what the design allows without a
    stated reason.
    """
    if not question:
        return ""
    old_question, old_number = "", None
    with contextlib.suppress(ValueError):
        parsed = parse_level(previous)
        old_question, old_number = parsed.question, parsed.level
    if number is not None and question != old_question and number == old_number:
        number = None
    if number is None:
        return derive_level(design, question)
    return format_level(question, number)


def level_for(question: str, level: int) -> str:
    """Convenience for the dashboard: an editor's level from a question and a number."""
    if question not in QUESTIONS or not 1 <= level <= 5:
        raise InvalidValueError(f"level needs a question ({', '.join(QUESTIONS)}) and a number 1-5")
    return format_level(question, level)


def tag(record: Record, taxonomy: Taxonomy, topic: str) -> Record:
    """A copy with the topic (a path, id or unique name; see Taxonomy.resolve) added to the manual topics.

    The editor's latest statement wins: a suggestion of the topic is settled, and an earlier rejection of it (or
    of a topic above it) is withdrawn, as :func:`accept_topic` does; a topic both manual and rejected was shown
    by ``classify --explain`` as "rejected by an editor"."""
    path = taxonomy.resolve(topic).path
    out = record.copy()
    if path.casefold() not in {t.casefold() for t in out.topics}:
        out.topics.append(path)
    out.topics_suggested = [t for t in out.topics_suggested if t.casefold() != path.casefold()]
    out.topics_rejected = [t for t in out.topics_rejected if not _is_under(path, t)]
    return out


def untag(record: Record, topic: str, taxonomy: Taxonomy | None = None) -> Record:
    """A copy without the manual topic. Automatic topics cannot be untagged: the rules would add them back, so
    the message points at the rules instead. Unknown topics can be removed by their exact path."""
    wanted = topic.strip().casefold()
    if taxonomy is not None and wanted not in {t.casefold() for t in record.topics}:
        with contextlib.suppress(LibraryError):  # not a known topic: remove it by its exact text
            wanted = taxonomy.resolve(topic).path.casefold()
    out = record.copy()
    out.topics = [t for t in record.topics if t.casefold() != wanted]
    if len(out.topics) == len(record.topics):
        if wanted in {t.casefold() for t in record.topics_auto}:
            raise InvalidValueError(f"{topic!r} is an automatic topic of {record.key!r}; untag removes manual "
                                    f"topics only - reject it for this study (`reflib reject {record.key} TOPIC`) "
                                    "or change the rules in taxonomy.toml and run `reflib classify`")
        raise InvalidValueError(f"{record.key!r} has no manual topic {topic!r}")
    return out


def _is_under(path: str, root: str) -> bool:
    folded, root = path.casefold(), root.casefold()
    return folded == root or folded.startswith(root + " > ")


def accept_topic(record: Record, taxonomy: Taxonomy, topic: str) -> Record:
    """A copy where the topic (usually a suggestion) is a manual topic: classification never removes it again.
    The same as :func:`tag` (the suggestion settled, an earlier rejection withdrawn); the CLI notes a topic
    nothing suggested."""
    return tag(record, taxonomy, topic)


def reject_topic(record: Record, taxonomy: Taxonomy | None, topic: str) -> Record:
    """A copy that remembers the editor's "no": the topic and its subtopics are dropped from the automatic topics
    and suggestions, and classification never assigns or suggests them again. A manual topic is the editor's own
    statement, so it is refused here (``untag`` removes it). A topic the taxonomy does not know is refused too
    (a typo would be stored as a rejection that matches nothing), unless the record carries it: a topic no
    longer in the taxonomy can still be rejected by its path."""
    path = topic.strip()
    if taxonomy is not None:
        try:
            path = taxonomy.resolve(topic).path
        except LibraryError:
            carried = (*record.topics_auto, *record.topics_suggested, *record.topics_rejected)
            if not any(_is_under(t, path) for t in carried):
                raise
    if any(t.casefold() == path.casefold() for t in record.topics):
        raise InvalidValueError(f"{path!r} is a manual topic of {record.key!r}; remove it with untag")
    out = record.copy()
    out.topics_auto = [t for t in out.topics_auto if not _is_under(t, path)]
    out.topics_suggested = [t for t in out.topics_suggested if not _is_under(t, path)]
    if not any(t.casefold() == path.casefold() for t in out.topics_rejected):
        out.topics_rejected.append(path)
    return out
