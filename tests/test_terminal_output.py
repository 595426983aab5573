"""Terminal escape sequences in imported files never reach the terminal raw: every command prints them as
visible characters (or they were stripped when stored)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from library.cli import main
from library.cli.terminal import show

from .conftest import REFERENCES

HSG = "hysterosalpingogram"
ESC, BEL, CSI = "\x1b", "\x07", "\x9b"
# (a BEL in a file makes it "binary data", refused whole: the sequences here end with ESC \ instead)
HOSTILE = (f"Tubal flushing{ESC}]0;retitled{ESC}\\ with oil{ESC}[2J{ESC}[31m red{CSI}1m and a "
           f"{ESC}]8;;https://evil.example/{ESC}\\hidden link{ESC}]8;;{ESC}\\ and more")
# any C0 control but tab/newline/CR+LF, DEL, C1: what a terminal acts on
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


@pytest.fixture(autouse=True)
def _bundled_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REFLIB_TAXONOMY", raising=False)
    monkeypatch.delenv("REFLIB_ENCYCLOPEDIA", raising=False)


def _ris(title: str, doi: str, year: str = "2019") -> str:
    return (f"TY  - JOUR\nTI  - {title}\nAU  - Dreyer, Kim{ESC}[8m\nPY  - {year}\nJO  - Hum Reprod{CSI}0m\n"
            f"DO  - {doi}\nN1  - note {ESC}]52;c;cGF5bG9hZA=={ESC}\\\nER  - \n\n")


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_show_makes_controls_visible() -> None:
    assert show("a\tb\nc\r\nd") == "a\tb\nc\r\nd"
    assert show(f"x{ESC}[2Jy{BEL}z\x00\x7f{CSI}1m\rq") == "x\u241b[2Jy\u2407z\u2400\u2421<U+009B>1m\u240dq"
    assert json.loads(show(json.dumps({"t": f"a{CSI}b"}, ensure_ascii=False))) == {"t": "a<U+009B>b"}


def test_escape_sequences_never_reach_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bib = tmp_path / "references.bib"
    shutil.copyfile(REFERENCES, bib)
    hostile = tmp_path / f"export{ESC}]0;pwned{BEL}.ris"  # the file name is printed too
    hostile.write_text(_ris(HOSTILE, "10.1234/hostile.1") + _ris(HOSTILE.upper(), "10.1234/hostile.2", "2020"))
    outputs: dict[str, str] = {}
    code, outputs["import --dry-run"] = _run(capsys, "--bib", bib, "import", "--dry-run", hostile)
    assert code == 0
    assert "export\u241b]0;pwned\u2407.ris" in outputs["import --dry-run"]  # shown, not sent
    code, outputs["import"] = _run(capsys, "--bib", bib, "import", hostile, "--entry", HSG, "--as", "cited")
    assert code == 0 and "2 added" in outputs["import"]
    stored = bib.read_text()
    assert "Tubal flushing" in stored and not RAW.search(stored)
    # a library file edited by hand with the raw sequences in it
    bib.write_text(stored.replace("Tubal flushing", f"Tubal{ESC}]8;;https://x.example/{ESC}\\ flushing{BEL}"))
    for args in (["search", "--query", "tubal flushing"], ["search", "--query", "tubal", "--json"],
                 ["list"], ["check"], ["dedupe"], ["entry", "show", HSG], ["entry", "show", HSG, "--format", "html"],
                 ["entry", "list"], ["stats"],
                 *(["export", "--query", "tubal flushing", "--format", f] for f in
                   ("ama", "vancouver", "apa", "mla", "ris", "bibtex", "csv", "csl-json"))):
        _, outputs[" ".join(args)] = _run(capsys, "--bib", bib, *args)
    assert all("flushing" in outputs[name] or "Flushing" in outputs[name] or "FLUSHING" in outputs[name]
               for name in outputs if name.startswith(("search", "export", "entry show", "import")))
    for name, text in outputs.items():
        assert not RAW.search(text), (name, RAW.search(text))
    # a reader's message quoting a line of the file
    broken = tmp_path / "broken.ris"
    broken.write_text(f"TY  - JOUR\nTI  - {ESC}[2Jtitle\nXX{ESC}[31m  - odd\n")
    _, text = _run(capsys, "--bib", bib, "import", "--dry-run", broken)
    assert not RAW.search(text)
    belled = tmp_path / "bell.ris"
    belled.write_text(_ris(f"Title{ESC}]0;x{BEL}", "10.1/b"))
    code, text = _run(capsys, "--bib", bib, "import", belled)
    assert code == 1 and "bell.ris: binary data" in text and not RAW.search(text)


def test_a_nul_anywhere_in_the_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bib = tmp_path / "lib.bib"
    late = tmp_path / "late.ris"
    record = _ris("First", "10.1/a").encode()
    late.write_bytes(record * 3000 + b"TY  - JOUR\nTI  - a\x00b\nER  - \n")
    assert late.stat().st_size > 300_000  # past the 256 kB head that detection reads
    code, text = _run(capsys, "--bib", bib, "import", late)
    assert code == 1 and "late.ris: binary data, not a bibliography file (byte 0x00 at offset" in text
    nul_line = record.count(b"\n") * 3000 + 2
    assert f"line {nul_line})" in text and not bib.exists()
    wide = tmp_path / "wide.ris"
    wide.write_bytes(("TY  - JOUR\nTI  - x\nER  - \n" * 30_000 + "TY  - JOUR\nTI  - a\x00b\nER  - \n")
                     .encode("utf-16"))
    code, text = _run(capsys, "--bib", bib, "import", wide)
    assert code == 1 and "wide.ris: binary data, not a bibliography file (a NUL character on line 90002)" in text


# bidirectional overrides and isolates, direction marks, zero-width and tag characters: what can make a terminal
# draw a line in another order than it was written, or hide text in it
RLO, PDF, RLI, PDI, RLM, ZWSP, TAG = "\u202e", "\u202c", "\u2067", "\u2069", "\u200f", "\u200b", "\U000e0041"
DISGUISED = f"Tubal {RLO}gnihsulf{PDF} with {RLI}oil{PDI}{ZWSP} contrast{TAG}"
INVISIBLE = re.compile("[\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
                       "\ufff9-\ufffb\U000e0000-\U000e007f]")


def test_show_makes_invisible_format_characters_visible() -> None:
    assert show(DISGUISED) == ("Tubal <U+202E>gnihsulf<U+202C> with <U+2067>oil<U+2069><U+200B> contrast"
                               "<U+E0041>")
    assert show(f"a{RLM}b{ESC}", invisible=False) == f"a{RLM}b\u241b"
    # joiners (emoji, Indic and Persian scripts) and the soft hyphen are kept
    kept = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001f469\u200d\U0001f52c co\u00adop"
    assert show(kept) == kept
    for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]:
        assert show(chr(code)) == f"<U+{code:04X}>"


class _Terminal:
    """A stand-in for a terminal's text stream (isatty) that keeps what it was given."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def test_bidi_overrides_are_shown_on_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    bib = tmp_path / "references.bib"
    shutil.copyfile(REFERENCES, bib)
    source = tmp_path / f"refs{RLO}sir.txt"
    source.write_text(_ris(DISGUISED, "10.1234/bidi.1"))
    outputs: dict[str, str] = {}
    code, outputs["import"] = _run(capsys, "--bib", bib, "import", source)
    assert code == 0 and "1 added" in outputs["import"] and "refs<U+202E>sir.txt" in outputs["import"]
    for args in (["search", "--query", "gnihsulf"], ["search", "--query", "gnihsulf", "--json"], ["list"],
                 ["check"], ["stats"], ["entry", "list"]):
        _, outputs[" ".join(args)] = _run(capsys, "--bib", bib, *args)
    assert "<U+202E>gnihsulf<U+202C>" in outputs["search --query gnihsulf"]
    for name, text in outputs.items():
        assert not INVISIBLE.search(text), (name, INVISIBLE.search(text))
    # an export piped into a file keeps the characters (a Hebrew title keeps its marks); on a terminal they show
    code, piped = _run(capsys, "--bib", bib, "export", "--query", "gnihsulf", "--format", "ris")
    assert code == 0 and f"{RLO}gnihsulf{PDF}" in piped
    for fmt in ("ris", "bibtex", "csv", "csl-json", "ama", "apa"):
        terminal = _Terminal()
        with monkeypatch.context() as patch:
            patch.setattr("sys.stdout", terminal)
            assert main(["--bib", str(bib), "export", "--query", "gnihsulf", "--format", fmt]) == 0
        shown = "".join(terminal.parts)
        assert "gnihsulf" in shown and not INVISIBLE.search(shown), (fmt, shown)
        # data formats keep the character (shown escaped); a formatted citation leaves direction controls out (in
        # a document it would print the rest of the reference backwards)
        assert ("<U+202E>" in shown) == (fmt not in ("ama", "apa")), (fmt, shown)
