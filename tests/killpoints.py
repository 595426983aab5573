"""SIGKILL at every write boundary of a reflib command, for the crash-consistency tests.

A write boundary is anything that changes what is on disk: an ``os.replace`` (every atomic write: the library,
journals, state files, the cache), opening a file for writing (a site page written in place, a temp file), and a
SQLite commit (or a data-changing statement outside a transaction). The disk only changes at a boundary, so a
kill just before boundary N leaves exactly what a kill just after boundary N-1 leaves: killing before each one,
and letting the last run finish, covers every state a crash can leave.

:func:`kill_trials` copies a prepared folder once per boundary and runs the command in a forked child of one
helper process (started once, with reflib imported: a trial costs the command, not an interpreter start) that
kills itself (SIGKILL: no cleanup, no ``finally``) just before its N-th boundary. It returns the folders the
trials left behind, for the test to recover and check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["Trials", "kill_trials"]

ROOT = Path(__file__).resolve().parent.parent

_RUNNER = r"""
import builtins, io, json, os, shutil, signal, sqlite3, sys
from pathlib import Path
from library.cli import main

pristine, work, args, env = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])


def install(limit):
    seen = [0]

    def boundary():
        seen[0] += 1
        if seen[0] == limit:
            os.kill(os.getpid(), signal.SIGKILL)

    real_replace, real_open, real_connect = os.replace, io.open, sqlite3.connect

    def replace(src, dst, *a, **k):
        boundary()
        return real_replace(src, dst, *a, **k)

    def opener(file, mode="r", *a, **k):
        if any(c in mode for c in "wax+"):
            boundary()
        return real_open(file, mode, *a, **k)

    def connect(*a, **k):
        conn = real_connect(*a, **k)

        def trace(statement):
            head = statement.lstrip()[:8].upper()
            if head.startswith(("COMMIT", "END")) or (not conn.in_transaction and head.startswith(
                    ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"))):
                boundary()

        conn.set_trace_callback(trace)
        return conn

    os.replace, builtins.open, io.open, sqlite3.connect = replace, opener, opener, connect
    return seen


results = []
for n in range(1, 5000):
    trial = work / f"kill-{n:04d}"
    shutil.copytree(pristine, trial, symlinks=True)
    pid = os.fork()
    if pid == 0:
        os.chdir(trial)
        for name, value in env.items():
            os.environ[name] = value.replace("{dir}", str(trial))
        devnull = open(os.devnull, "w")
        sys.stdout = sys.stderr = devnull
        seen = install(n)
        try:
            code = main([a.replace("{dir}", str(trial)) for a in args])
        except BaseException:
            code = 99
        devnull.flush()
        os._exit(min(int(code or 0), 99) + 100)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        results.append(str(trial))
        continue
    print(json.dumps({"killed": results, "finished": str(trial), "code": os.WEXITSTATUS(status) - 100}))
    break
"""


class Trials:
    def __init__(self, killed: list[Path], finished: Path, code: int) -> None:
        self.killed, self.finished, self.code = killed, finished, code

    def __len__(self) -> int:
        return len(self.killed)


def kill_trials(pristine: Path, work: Path, args: list[str], env: dict[str, str] | None = None) -> Trials:
    """Run ``reflib ARGS`` (``{dir}`` in an argument or ``env`` value: the trial's folder, also its working
    directory) once per write boundary on a copy of ``pristine``, killed just before that boundary; the last
    copy runs to the end. Returns the killed copies (in boundary order), the finished one and its exit code."""
    work.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-c", _RUNNER, str(pristine), str(work), json.dumps(args),
                           json.dumps(env or {})], capture_output=True, text=True, cwd=ROOT, timeout=900,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Trials([Path(p) for p in result["killed"]], Path(result["finished"]), int(result["code"]))
