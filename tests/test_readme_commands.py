"""Every ``reflib`` command shown in README.md runs as shown, against a copy of the bundled library.

The commands are read from the README's ``bash`` blocks (so a renamed option or command fails here), with ``KEY``
replaced by a real key and ``[--force]`` taken as written without the brackets. The files the import examples
name are the project's fixtures; the online commands (ingest, watch, enrich) talk to fake PubMed and Crossref
services on 127.0.0.1. Each command must end with the exit code the README promises: 0, or 1 where it says
"exit 1 if any" (findings the user must act on); never 2 (usage) and never a traceback.
"""

from __future__ import annotations

import gzip
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from library.cli import main

from .conftest import FIXTURES, REFERENCES, ROOT
from .httpserver import FakeCrossref, FakeEutils, split_articles

README = ROOT / "README.md"
KEY = "dreyer2017oil"
OTHER_KEY = {"reject": "fang2018oil"}  # the README shows accept and reject as alternatives for one study
# commands the README documents as "exit 1 if any" (findings), when the bundled library has some
FINDINGS = {"check", "dedupe"}
# interactive commands: without a terminal (as here) they say so and name the non-interactive form
INTERACTIVE = {"dedupe --review": "needs a terminal; use --accept KEY1 KEY2 / --reject KEY1 KEY2"}


def readme_commands() -> list[str]:
    """The ``reflib`` command lines of the README's bash blocks (``a && b`` gives two), comments removed."""
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL):
        for line in block.splitlines():
            code = line.split("  #", 1)[0].strip()
            for part in code.split("&&"):
                part = part.strip()
                if part.startswith((".venv/bin/reflib ", "reflib ")):
                    commands.append(part.split("reflib ", 1)[1])
    return commands


COMMANDS = readme_commands()


def test_the_readme_shows_the_commands() -> None:
    names = {shlex.split(c)[0] if not c.startswith("--bib") else shlex.split(c)[2] for c in COMMANDS}
    assert {"stats", "check", "dedupe", "search", "import", "ingest", "watch", "enrich", "classify", "export",
            "entry", "link", "tag", "set", "accept", "reject", "suggestions"} <= names


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point_services) -> Path:
    for name in ("references.bib", "encyclopedia.toml", "taxonomy.toml"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    shutil.copyfile(REFERENCES, tmp_path / "other.bib")
    shutil.copyfile(FIXTURES / "import" / "hsg.ris", tmp_path / "export.ris")
    shutil.copyfile(FIXTURES / "pubmed" / "hsg.xml", tmp_path / "pubmed.xml")
    (tmp_path / "pubmed26n0001.xml.gz").write_bytes(gzip.compress((FIXTURES / "pubmed" / "mathml.xml").read_bytes()))
    (tmp_path / "new-studies.ris").write_text(NEW_STUDIES, encoding="utf-8")
    (tmp_path / "labelled.csv").write_text(LABELLED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    server = point_services(REFLIB_EMAIL="editor@example.org")
    pool = split_articles((FIXTURES / "pubmed" / "hsg.xml").read_bytes())
    FakeEutils(pool).install(server)
    FakeCrossref({"10.1056/NEJMoa1612337": (FIXTURES / "crossref" / "nejm_work.json").read_bytes()}).install(server)
    return tmp_path


# three studies that are not in the bundled library, for the screening examples (include 1, exclude 2, maybe 3)
NEW_STUDIES = "".join(
    f"TY  - JOUR\nTI  - {title}\nAU  - {author}\nPY  - {year}\nJO  - {journal}\nVL  - {volume}\nSP  - {page}\n"
    "ER  - \n\n"
    for title, author, year, journal, volume, page in (
        ("Tubal flushing with oil-based contrast in women with unexplained infertility: a pilot trial",
         "Example, Anna", 2024, "Fertility and Sterility", 121, 101),
        ("Pain during hysterosalpingo-foam sonography compared with hysterosalpingography",
         "Sample, Bert", 2023, "Human Reproduction", 38, 202),
        ("Radiation dose of digital hysterosalpingography in a regional hospital",
         "Testing, Cora", 2022, "European Radiology", 32, 303)))


# a labelled screening set for `screen simulate`: 6 relevant records among 60
LABELLED = "title,abstract,label_included\n" + "".join(
    f"Hysterosalpingography study {n},tubal patency and oil contrast in infertile women,1\n" if n % 10 == 0 else
    f"Unrelated study {n},knee surgery outcomes in athletes number {n},0\n" for n in range(60))


def argv(command: str) -> list[str]:
    args = shlex.split(command.replace("[", "").replace("]", ""))
    key = OTHER_KEY.get(args[0], KEY)
    return [a.replace("KEY", key) for a in args]


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
def test_every_readme_command_runs_as_shown(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(COMMANDS) >= 30
    for command in COMMANDS:
        args = argv(command)
        name = args[2] if args[0] == "--bib" else args[0]
        code = main(args)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err, command
        if command in INTERACTIVE:
            assert code == 2 and INTERACTIVE[command] in err, command
            continue
        allowed = {0, 1} if name in FINDINGS else {0}
        assert code in allowed, f"reflib {command} -> exit {code}\n{err}"
    exported = (workdir / "refs.bib").read_text(encoding="utf-8")
    assert exported.count("@") >= 10
    watch = json.loads((workdir / "references.watch.json").read_text(encoding="utf-8"))
    assert "hsg-radiation" in json.dumps(watch)
