"""Validation of ``taxonomy.toml``'s ``[[topic]]`` tables: every mistake found, each with its line.

Pure: text in, cleaned items (regular expressions compiled) and problems out; :mod:`.taxonomy` builds the
:class:`~.taxonomy.Taxonomy` from them. The keys and their meaning are documented in the header of
``taxonomy.toml`` and in :mod:`.taxonomy`.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from .level import QUESTIONS
from .patterns import compile_pattern
from .tomlfile import FileProblem, TableLocator

__all__ = ["SEPARATOR", "SPECIES", "TOPIC_KEYS", "check_items"]

SEPARATOR = " > "
SPECIES = ("human", "any")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LIST_KEYS = ("mesh", "keywords", "patterns", "require", "anchors", "exclude", "unless", "synonyms")
_REGEX_KEYS = frozenset({"patterns", "require", "anchors", "exclude", "unless"})
TOPIC_KEYS = frozenset({"id", "name", "parent", "description", "question", "species", *_LIST_KEYS})


def _string_list(raw: Any) -> list[str] | None:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return list(raw)
    return None


def _check_strings(item: dict[str, Any], topic_id: str, i: int, where: TableLocator, path: str,
                   problems: list[FileProblem], clean: dict[str, Any]) -> None:
    for key in ("parent", "description", "question", "species"):
        value = item.get(key, "")
        if not isinstance(value, str):
            problems.append(FileProblem(path, where.key_line(i, key), f"{key} of {topic_id!r} must be a string"))
            value = ""
        clean[key] = value.strip()
    if clean["question"] and clean["question"] not in QUESTIONS:
        problems.append(FileProblem(path, where.key_line(i, "question"),
                                    f"question of {topic_id!r} must be one of {', '.join(QUESTIONS)}"))
        clean["question"] = ""
    if clean["species"] and clean["species"] not in SPECIES:
        problems.append(FileProblem(path, where.key_line(i, "species"),
                                    f"species of {topic_id!r} must be one of {', '.join(SPECIES)}"))
        clean["species"] = ""


def _check_lists(item: dict[str, Any], topic_id: str, i: int, where: TableLocator, path: str,
                 problems: list[FileProblem], clean: dict[str, Any]) -> None:
    for key in _LIST_KEYS:
        values = _string_list(item.get(key, []))
        if values is None:
            problems.append(FileProblem(path, where.key_line(i, key), f"{key} of {topic_id!r} must be strings"))
            values = []
        if key in _REGEX_KEYS:
            compiled = []
            for text in values:
                try:
                    compiled.append(compile_pattern(text))
                except re.error as exc:
                    problems.append(FileProblem(path, where.key_line(i, key),
                                                f"bad regular expression {text!r} in {key} of {topic_id!r}: {exc}"))
            clean[key] = tuple(compiled)
        else:
            clean[key] = tuple(v.strip() for v in values if v.strip())


def _check_item(item: Any, i: int, where: TableLocator, path: str, problems: list[FileProblem]) -> dict[str, Any]:
    """Field-level checks of one ``[[topic]]``; returns the cleaned fields (regexes compiled)."""
    line = where.item_line(i)
    if not isinstance(item, dict):
        problems.append(FileProblem(path, line, "each topic must be a table"))
        return {}
    for key in item:
        if key not in TOPIC_KEYS:
            close = difflib.get_close_matches(key, sorted(TOPIC_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(FileProblem(path, where.key_line(i, key), f"unknown key {key!r}{hint}"))
    topic_id = item.get("id")
    if not isinstance(topic_id, str) or not _ID.match(topic_id):
        problems.append(FileProblem(path, where.key_line(i, "id"),
                                    "topic needs an id of lowercase letters, digits and hyphens, e.g. 'sis-vs-hsg'"))
        return {}
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or any(c in name for c in ">;,"):
        problems.append(FileProblem(path, where.key_line(i, "name"),
                                    f"topic {topic_id!r} needs a name without '>', ';' or ','"))
        return {}
    clean: dict[str, Any] = {"id": topic_id, "name": " ".join(name.split())}
    _check_strings(item, topic_id, i, where, path, problems, clean)
    _check_lists(item, topic_id, i, where, path, problems, clean)
    return clean


def _paths(items: list[dict[str, Any]], lines: dict[str, int], path: str,
           problems: list[FileProblem]) -> dict[str, str]:
    """id -> path, following parents; reports unknown parents and cycles (topics in a cycle get no path)."""
    by_id = {it["id"]: it for it in items}
    out: dict[str, str] = {}
    reported: set[frozenset[str]] = set()
    for item in items:
        chain = [item["id"]]
        current = item
        while current["parent"]:
            parent = current["parent"]
            if parent not in by_id:
                problems.append(FileProblem(path, lines[current["id"] + ".parent"],
                                            f"topic {current['id']!r} has unknown parent {parent!r}"))
                break
            if parent in chain:
                members = chain[chain.index(parent):]
                if frozenset(members) not in reported:  # each cycle once, at its first line in the file
                    reported.add(frozenset(members))
                    first = min(members, key=lambda m: lines[m + ".parent"])
                    start = members.index(first)
                    loop = members[start:] + members[:start] + [first]
                    problems.append(FileProblem(path, lines[first + ".parent"],
                                                "parent cycle: " + " -> ".join(loop)))
                break
            chain.append(parent)
            current = by_id[parent]
        else:
            out[item["id"]] = SEPARATOR.join(by_id[t]["name"] for t in reversed(chain))
    return out


def check_items(data: dict[str, Any], text: str, path: str) -> tuple[list[dict[str, Any]], list[FileProblem]]:
    """The valid topics of a parsed taxonomy file (each with its ``path`` and ``line``) and every problem."""
    where = TableLocator(text, "topic")
    problems: list[FileProblem] = []
    for key in data:
        if key != "topic":
            problems.append(FileProblem(path, 0, f"unknown top-level key {key!r} (topics go in [[topic]] tables)"))
    raw = data.get("topic", [])
    if not isinstance(raw, list):
        return [], [FileProblem(path, 0, "'topic' must be an array of tables: [[topic]]")]
    items: list[dict[str, Any]] = []
    lines: dict[str, int] = {}
    for i, item in enumerate(raw):
        clean = _check_item(item, i, where, path, problems)
        if not clean:
            continue
        if clean["id"] in lines:
            problems.append(FileProblem(path, where.key_line(i, "id"),
                                        f"duplicate topic id {clean['id']!r} (first at line {lines[clean['id']]})"))
            continue
        lines[clean["id"]] = where.key_line(i, "id")
        lines[clean["id"] + ".parent"] = where.key_line(i, "parent")
        clean["line"] = where.item_line(i)
        items.append(clean)
    paths = _paths(items, lines, path, problems)
    seen: dict[str, str] = {}
    out = []
    for item in items:
        topic_path = paths.get(item["id"])
        if topic_path is None:
            continue
        folded = topic_path.casefold()
        if folded in seen:
            problems.append(FileProblem(path, lines[item["id"]], f"duplicate topic path {topic_path!r} "
                                        f"(topics {seen[folded]!r} and {item['id']!r})"))
            continue
        seen[folded] = item["id"]
        out.append({**item, "path": topic_path})
    return out, problems
