"""Concurrent writers on one library: no edit that reported success may be missing, no refusal may be silent.

``run_torture`` starts API writers (``Library.load`` / ``update`` / ``save`` in a loop) and CLI writers (``reflib
set KEY notes VALUE`` processes) at the same time, on distinct keys and on shared keys, then checks the final file:

* an API edit appends a unique token to a record's ``notes``: every token whose save returned must be there (on
  a shared key too: a save based on bytes that miss another writer's token must have been refused);
* a CLI edit sets ``notes`` to a unique token: on its own key (one key per edit) it must be there; on the shared
  key the final value is one of the successful tokens;
* a refused edit (``ConflictError``; exit 1 with the message) must have left no trace, and every other outcome
  (a traceback, another exit code) counts as a failure.

Used at a small size by ``tests/test_torture.py`` and at full size (>= 20 MB) by ``benchmarks/bench_torture.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFUSAL_WORDS = ("changed on disk", "holds the lock")


@dataclass
class Outcome:
    kind: str  # api | cli
    key: str
    token: str
    ok: bool
    message: str = ""


@dataclass
class TortureResult:
    attempts: int = 0
    successes: int = 0
    refusals: int = 0
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"attempts": self.attempts, "successes": self.successes, "refusals": self.refusals,
                "failures": self.failures}


def _api_worker(path: str, worker: int, keys: list[str], shared: str) -> None:
    from library import Library
    from library.errors import ConflictError

    out = []
    for j, own in enumerate(keys):
        key = shared if j % 2 else own
        token = f"api-w{worker}-e{j}"
        try:
            lib = Library.load(path)
            record = lib.get(key)
            record.notes = f"{record.notes} {token}".strip()
            lib.update(record)
            lib.save()
            out.append({"kind": "api", "key": key, "token": token, "ok": True})
        except ConflictError as exc:
            out.append({"kind": "api", "key": key, "token": token, "ok": False, "message": str(exc)})
    print(json.dumps(out))


def _cli_worker(path: str, worker: int, keys: list[str], shared: str) -> None:
    out = []
    for j, own in enumerate(keys):
        key = shared if j % 2 else own
        token = f"cli-w{worker}-e{j}"
        proc = subprocess.run([sys.executable, "-m", "library.cli", "--bib", path, "set", key, "notes", token],
                              capture_output=True, text=True, cwd=ROOT, check=False)
        if proc.returncode == 0:
            out.append({"kind": "cli", "key": key, "token": token, "ok": True})
        else:
            out.append({"kind": "cli", "key": key, "token": token, "ok": False,
                        "message": f"exit {proc.returncode}: {proc.stderr.strip()}"})
    print(json.dumps(out))


def run_torture(path: Path, api_writers: int, cli_writers: int, edits: int) -> TortureResult:
    """Run the writers concurrently on ``path`` (changed in place) and check the final file."""
    from library import Library

    keys = Library.load(path, use_cache=False).keys()
    needed = (api_writers + cli_writers) * edits + 2
    if len(keys) < needed:
        raise ValueError(f"the library needs at least {needed} records")
    shared_api, shared_cli = keys[0], keys[1]
    own = iter(keys[2:])
    env = dict(os.environ)
    env.setdefault("REFLIB_CACHE_DIR", tempfile.mkdtemp(prefix="reflib-torture-cache-"))
    procs = []
    for kind, count, shared in (("api", api_writers, shared_api), ("cli", cli_writers, shared_cli)):
        for w in range(count):
            mine = [next(own) for _ in range(edits)]
            code = (f"import json, sys; from benchmarks.torture import _{kind}_worker; "
                    f"_{kind}_worker(sys.argv[1], {w}, json.loads(sys.argv[2]), sys.argv[3])")
            procs.append(subprocess.Popen([sys.executable, "-c", code, str(path), json.dumps(mine), shared],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                          env=env))
    result = TortureResult()
    outcomes: list[Outcome] = []
    for proc in procs:
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            result.failures.append(f"writer exited {proc.returncode}: {stderr.strip()[-300:]}")
            continue
        outcomes.extend(Outcome(**item) for item in json.loads(stdout.strip().splitlines()[-1]))
    _verify(path, outcomes, shared_cli, result)
    return result


def _verify(path: Path, outcomes: list[Outcome], shared_cli: str, result: TortureResult) -> None:
    from library import Library

    final = Library.load(path, use_cache=False)
    if final.malformed():
        result.failures.append(f"the final file has problems: {final.malformed()[:3]}")
    text = path.read_text(encoding="utf-8")
    cli_shared_ok = []
    for item in outcomes:
        result.attempts += 1
        if item.ok:
            result.successes += 1
            notes = final.get(item.key).notes
            if item.kind == "cli" and item.key == shared_cli:
                cli_shared_ok.append(item.token)
            elif item.token not in notes.split():
                result.failures.append(f"lost update: {item.kind} {item.token} on {item.key} reported success")
        else:
            result.refusals += 1
            if not any(word in item.message for word in REFUSAL_WORDS) or "Traceback" in item.message:
                result.failures.append(f"{item.kind} {item.token}: not a clear refusal: {item.message[-300:]}")
            if item.token in text.split() or f"{item.token}}}" in text or f" {item.token}" in text:
                result.failures.append(f"refused edit {item.token} is in the file")
    if cli_shared_ok and final.get(shared_cli).notes not in cli_shared_ok:
        result.failures.append(f"shared key {shared_cli}: notes {final.get(shared_cli).notes!r} is no successful "
                               "CLI edit")


if __name__ == "__main__":  # python -m benchmarks.torture LIBRARY API CLI EDITS
    outcome = run_torture(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    print(json.dumps(outcome.as_dict(), indent=1))
