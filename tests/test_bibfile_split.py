"""library.bibfile.parse_chunk: the fast splitter gives exactly bibtexparser's blocks (parse_blocks), always."""

from __future__ import annotations

import random

import pytest

from library.bibfile import parse_blocks, parse_chunk, parse_chunk_fast

from .conftest import bib_chunks, utf8_bib_files


@pytest.mark.parametrize("text", [
    "@article{k,\n  title = {A {nested} title},\n  year = 2001,\n}\n",
    '@Book {k, author = "M{\\"u}ller, J.", note = "a {"} quote", x = a # {b} # "c"}',
    "@string{jan = {January}}\n@comment{anything {here}}\n@preamble{ {\\x} }",
    "% leading comment\n@misc{k}\n",
    "@misc{k,\n  title = {has @ sign, and = and , inside},\n  url = {mailto:a@b.c}}",
    "@misc{k, title = {a \\} b}, year = 1}",  # escaped brace: not a mark
    "@misc{k, title \\= {x}}",  # escaped '=': part of the field name for bibtexparser
    "@misc{k, title = {x},, year = 1}",  # an empty field: a syntax error
    "@misc{k, title = {x}, title = {y}}",  # duplicate field
    "@misc{k, a = 1}\n@misc{k, b = 2}",  # duplicate key within one chunk
    "@misc{k, title = {unclosed\n@article{j, a = 1}",  # a block start at a line start aborts the block
    "@misc(k, title = {paren})",
    "@misc{k, % comment\n  title = {x}}",
    "no block at all",
    "",
])
def test_small_cases_match_bibtexparser(text: str) -> None:
    assert parse_chunk(text) == parse_blocks(text)
    fast = parse_chunk_fast(text)
    assert fast is None or fast == parse_blocks(text)


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_every_chunk_of_the_fixtures_and_corpus_matches_bibtexparser() -> None:
    covered = 0
    for data in utf8_bib_files():
        for text in bib_chunks(data):
            fast = parse_chunk_fast(text)
            if fast is not None:
                covered += 1
                assert fast == parse_blocks(text), text[:200]
    assert covered > 30  # the fast path is actually taken


def test_mutated_chunks_match_bibtexparser() -> None:
    """Random edits around the characters that matter (delimiters, escapes, block starts)."""
    rng = random.Random(7)
    pieces = [*'{}",=@\\\n ()#%a', "@article{", "\n@misc{", '{"}', "\\{", "\\}", "\\=", "\\,", "@string{"]
    texts = [t for data in utf8_bib_files() for t in bib_chunks(data)[:80]]
    checked = 0
    for n in range(max(len(texts), 400)):  # each text mutated several times when only the fixtures are here
        chars = list(texts[n % len(texts)])
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(chars) + 1)
            if rng.random() < 0.5 or not chars:
                chars.insert(pos, rng.choice(pieces))
            else:
                del chars[min(pos, len(chars) - 1)]
        mutated = "".join(chars)
        fast = parse_chunk_fast(mutated)
        if fast is not None:
            checked += 1
            assert fast == parse_blocks(mutated), mutated[:300]
    assert checked > 100


def test_generated_entries_match_bibtexparser() -> None:
    rng = random.Random(11)
    words = ["word", " ", "x y", "1999", "\\{", "\\}", '\\"', "\\,", "\\=", '{"}', "\n", "=", ",", "@", "x@y",
             "\n  @x{", "%", "#", "\\", "é", "(", ")", '"']

    def content(depth: int = 0) -> str:
        out = []
        for _ in range(rng.randint(0, 6)):
            if rng.random() < 0.15 and depth < 3:
                out.append("{" + content(depth + 1) + "}")
            else:
                out.append(rng.choice(words) if rng.random() < 0.3 else rng.choice(["word", " ", "x y", "1999"]))
        return "".join(out)

    def value() -> str:
        r = rng.random()
        if r < 0.5:
            return "{" + content() + "}"
        if r < 0.75:
            return '"' + content().replace('"', "") + '"'
        return rng.choice(["jan", "1999", "macro", "a # {b}", 'x # "y"', content()])

    def entry() -> str:
        kind = rng.choice(["@article{", "@Book {", "@string{", "@comment{", "@preamble{", "@misc\t{"])
        if kind == "@string{":
            return kind + rng.choice(["foo", "Bar", " x "]) + " = " + value() + "}"
        if kind in ("@comment{", "@preamble{"):
            return kind + content() + "}"
        fields = [rng.choice(["title", "Title", "x-y", "a%b", "n\\"]) + rng.choice([" = ", "=", " \\= ", "\n = "])
                  + value() for _ in range(rng.randint(0, 5))]
        sep = rng.choice([",\n  ", ", ", ",,", " ,\n"])
        return (kind + rng.choice(["key", "k1", " spaced key", "k@x", "k{", ""]) + "," + sep + sep.join(fields)
                + rng.choice(["\n}", ",\n}", "}", " }\n"]))

    checked = 0
    for _ in range(4000):
        text = rng.choice(["", "% c\n", "junk "]) + "\n\n".join(entry() for _ in range(rng.randint(1, 3)))
        fast = parse_chunk_fast(text)
        if fast is not None:
            checked += 1
            assert fast == parse_blocks(text), text
    assert checked > 500
