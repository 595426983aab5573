"""``reflib screen ...``: screen the inbox of new records (see :mod:`library.screen.inbox`).

Records are named by their inbox number (``12`` or ``#12``). ``list`` and ``next`` show the open records ranked
by the model (what the editors included before goes first) with the terms that put each one there. ``include``
moves a record into the library (with its search's topics / entry link) as soon as its decision is settled
(one reviewer, or two who agree); ``exclude`` needs a reason from the configured list (``screen config``);
decisions can be changed (decide again) or withdrawn (``undo``). ``stats`` shows progress, conflicts and Cohen's
kappa; ``prisma`` the PRISMA 2020 flow (text, JSON, SVG or PNG); ``simulate`` replays a labelled CSV.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.screening import ScreeningConfig, load_config, save_config, settle_includes
from library.cli.shell import open_library, print_json
from library.errors import ConflictError, LibraryError
from library.screen.inbox import Inbox, InboxError, inbox_path, kappa_text, reviewer_agreement
from library.screen.prisma import flow, to_png, to_svg
from library.store import Library

if TYPE_CHECKING:
    from library.screen.rank import Ranker

__all__ = ["register"]


def reviewer_name(given: str | None) -> str:
    if given:
        return given
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = ""
    return os.environ.get("REFLIB_REVIEWER") or user or "editor"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    screen = sub.add_parser("screen", help="screen new records: include, exclude with a reason, maybe; PRISMA flow",
                            description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = screen.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="records in the inbox, open ones ranked")
    listing.add_argument("--state", default="open", choices=["open", "maybe", "conflict", "included", "excluded",
                                                             "all"])
    listing.add_argument("--source", default=None, help="only records from this saved search / file")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--reviewer", default=None, help="whose list: what they decided is left out (default: "
                         "$REFLIB_REVIEWER or your user name)")
    listing.set_defaults(handler=cmd_list)
    nxt = actions.add_parser("next", help="the record to screen next, with why it ranks high")
    nxt.add_argument("--json", action="store_true")
    nxt.add_argument("--reviewer", default=None, help="who screens: what they decided is not offered again")
    nxt.set_defaults(handler=cmd_next)
    for name, text in (("include", "include (moves it into the library)"), ("exclude", "exclude with --reason"),
                       ("maybe", "mark as maybe (decide later)")):
        p = actions.add_parser(name, help=text)
        p.add_argument("ids", nargs="+", metavar="ID", help="inbox record number(s)")
        if name == "exclude":
            p.add_argument("--reason", required=True, help="one of the configured reasons (reflib screen config)")
        p.add_argument("--reviewer", default=None, help="who decides (default: $REFLIB_REVIEWER or your user name)")
        p.add_argument("--note", default="", help="why, in your words")
        p.set_defaults(handler=cmd_decide, decision=name)
    undo = actions.add_parser("undo", help="withdraw your last decision (or your decision on ID)")
    undo.add_argument("id", nargs="?", default=None)
    undo.add_argument("--reviewer", default=None)
    undo.set_defaults(handler=cmd_undo)
    show = actions.add_parser("show", help="one inbox record with its decisions")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)
    stats = actions.add_parser("stats", help="progress, conflicts and agreement (Cohen's kappa)")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=cmd_stats)
    prisma = actions.add_parser("prisma", help="PRISMA 2020 flow (per saved search or entry)")
    prisma.add_argument("--search", default=None, help="one saved search (or imported file)")
    prisma.add_argument("--entry", default=None, help="one encyclopedia entry")
    prisma.add_argument("--format", choices=["text", "json", "svg", "png"], default="text")
    prisma.add_argument("-o", "--output", type=Path, default=None, help="write to this file (svg/png)")
    prisma.set_defaults(handler=cmd_prisma)
    config = actions.add_parser("config", help="show or set exclusion reasons and the number of reviewers")
    config.add_argument("--reviewers", type=int, choices=[1, 2], default=None)
    config.add_argument("--reason", action="append", default=None, help="the exclusion reasons (repeat)")
    config.set_defaults(handler=cmd_config)
    sim = actions.add_parser("simulate", help="replay a labelled CSV (title, abstract, label_included; authors, "
                             "year, journal, keywords if present): WSS@95")
    sim.add_argument("file", type=Path)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--json", action="store_true")
    sim.set_defaults(handler=cmd_simulate)


def _id(text: str) -> int:
    value = text.strip().removeprefix("#").removeprefix("inbox")
    if not value.isdecimal():
        raise InboxError(f"{text!r} is not an inbox record number (see `reflib screen list`)")
    return int(value)


def _inbox(args: argparse.Namespace, create: bool = False) -> Inbox:
    return Inbox.open(inbox_path(args.bib), create=create)


def _lib(args: argparse.Namespace) -> Library | None:
    return open_library(args) if args.bib.exists() else None


def _rank(args: argparse.Namespace, inbox: Inbox, limit: int | None, explain: int
          ) -> tuple[Ranker, object, dict[int, str]]:
    """The ranking for this reviewer (and ``--source``), with the states it was made from."""
    from library.screen.featurecache import cache_path  # scikit-learn: loaded when ranking
    from library.screen.rank import Ranker, library_positives, states_of

    lib = _lib(args)
    topics = sorted({t for (t,) in inbox.conn.execute("SELECT DISTINCT value FROM records, json_each(topics)")})
    entries = sorted({e for (e,) in inbox.conn.execute("SELECT DISTINCT entry FROM records WHERE entry IS NOT NULL")})
    ranker = Ranker(inbox, library_positives(lib.frame() if lib is not None and len(lib) else None, topics, entries),
                    cache=cache_path(inbox_path(args.bib)))  # the last command's fit, while the texts are the same
    states = states_of(inbox, reviewer_name(args.reviewer))  # what this reviewer decided is not offered again
    if getattr(args, "source", None):
        wanted = {i for (i,) in inbox.conn.execute("SELECT id FROM records WHERE source = ?", (args.source,))}
        states = {i: state for i, state in states.items() if i in wanted}
    return ranker, ranker.rank(states, limit=limit, explain=explain), states


def cmd_list(args: argparse.Namespace) -> int:
    with _inbox(args, create=True) as inbox:
        if args.source is not None and inbox.conn.execute("SELECT 1 FROM records WHERE source = ? LIMIT 1",
                                                          (args.source,)).fetchone() is None:
            known = [s for (s,) in inbox.conn.execute("SELECT DISTINCT source FROM records ORDER BY source")]
            print(f"reflib screen list: no inbox record comes from {args.source!r}; sources: "
                  f"{'; '.join(known) or '(none yet)'}", file=sys.stderr)
            return 1
        if args.state == "open":
            _, ranked, states = _rank(args, inbox, None, args.limit + args.offset)
            ids = [i for i in ranked.ids if states.get(i) == "open"]  # type: ignore[attr-defined]
            ids = ids[args.offset:args.offset + args.limit]  # (maybe and conflict records: --state maybe|conflict)
            items = [inbox.get(i) for i in ids]
            terms = ranked.terms  # type: ignore[attr-defined]
        else:
            items = inbox.items(() if args.state == "all" else (args.state,), args.source, args.limit, args.offset)
            terms = {}
        if args.json:
            print_json([it.to_json() | {"top_terms": [t for t, _ in terms.get(it.id, [])]} for it in items])
            return 0
        for it in items:
            why = f"  [{', '.join(t for t, _ in terms.get(it.id, [])[:5])}]" if terms.get(it.id) else ""
            print(f"#{it.id:<6} {it.state:9} {it.title[:90]}{why}")
        if not items:
            print("nothing to screen" if args.state == "open" else f"no {args.state} records")
    return 0


def cmd_next(args: argparse.Namespace) -> int:
    with _inbox(args, create=True) as inbox:
        _, ranked, _ = _rank(args, inbox, 1, 1)
        if not ranked.ids:  # type: ignore[attr-defined]
            print_json(None) if args.json else print("nothing left to screen")
            return 0
        item = inbox.get(ranked.ids[0])  # type: ignore[attr-defined]
        terms = ranked.terms.get(item.id, [])  # type: ignore[attr-defined]
        if args.json:
            print_json(item.to_json() | {"top_terms": [t for t, _ in terms],
                                         "why": ranked.why(item.id)})  # type: ignore[attr-defined]
            return 0
        print(f"#{item.id}  {item.title}\n  from {item.source} ({item.added[:10]})")
        if item.note:
            print(f"  note: {item.note}")
        why = ranked.why(item.id)  # type: ignore[attr-defined]
        if why:
            print(f"  {why}")
        print(f"\n{item.abstract or '(no abstract)'}\n")
        print(f"reflib screen include {item.id} | exclude {item.id} --reason R | maybe {item.id}")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    config = load_config(args.bib)
    reason = getattr(args, "reason", "") or ""
    if args.decision == "exclude" and reason not in config.reasons:
        print(f"reflib screen exclude: reason {reason!r} is not in the list: {'; '.join(config.reasons)} "
              "(change the list with: reflib screen config --reason ...)", file=sys.stderr)
        return 2
    who = reviewer_name(args.reviewer)
    with _inbox(args) as inbox:
        ids = [_id(i) for i in args.ids]
        items = {record_id: inbox.get(record_id) for record_id in ids}  # every number checked before any decision
        for record_id in ids:
            state = inbox.decide(record_id, args.decision, who, reason, args.note)
            print(f"#{record_id}: {args.decision} by {who} -> {state}")
            key = items[record_id].library_key
            if key and state != "included":
                print(f"  note: it was added to the library as {key}; it stays there (remove it with your editor if "
                      "it should go)")
        _settle(args, inbox)
    return 0


SETTLE_TRIES = 5


def _settle(args: argparse.Namespace, inbox: Inbox) -> None:
    """Bring the included records into the library. Another editor saving the library meanwhile is no error:
    the decision is already in the inbox, so the library is read again and the move retried."""
    for attempt in range(SETTLE_TRIES):
        if not inbox.pending_includes():
            return
        lib = _lib(args)  # (an empty library is falsy: `or` would open a new one over the existing empty file)
        if lib is None:
            lib = Library.create(args.bib)
        try:
            settled = settle_includes(lib, inbox)
        except ConflictError:
            if attempt == SETTLE_TRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
            continue
        for record_id, key in settled.items():
            print(f"#{record_id} is in the library as {key}")
        return


def cmd_undo(args: argparse.Namespace) -> int:
    who = reviewer_name(args.reviewer)
    with _inbox(args) as inbox:
        if args.id is None:
            last = inbox.last_decision(who)
            if last is None:
                print(f"reflib screen undo: {who} has no decision to undo", file=sys.stderr)
                return 1
            record_id = last[0]
        else:
            record_id = _id(args.id)
        item = inbox.get(record_id)
        state = inbox.undo(record_id, who)
        print(f"#{record_id}: {who}'s last decision withdrawn -> {state}")
        if item.library_key and state != "included":
            print(f"  note: it was added to the library as {item.library_key}; it stays there (remove it with your "
                  "editor if it should go)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _inbox(args) as inbox:
        item = inbox.get(_id(args.id))
        history = inbox.history(item.id)
        if args.json:
            print_json(item.to_json() | {"decisions": history})
            return 0
        query = f" {item.query!r}" if item.query else ""
        print(f"#{item.id} [{item.state}] {item.title}\n  from {item.source}{query} ({item.added})"
              + (f", key {item.source_key}" if item.source_key else ""))
        if item.note:
            print(f"  note: {item.note}")
        for h in history:
            print(f"  {h['at']} {h['reviewer']}: {h['decision']} {h['reason']} {h['note']}".rstrip())
    return 0


def stats_of(inbox: Inbox) -> dict[str, object]:
    counts = {s: inbox.count((s,)) for s in ("open", "maybe", "conflict", "included", "excluded")}
    by_reviewer = inbox.decisions_by_reviewer()
    kappas = reviewer_agreement(by_reviewer)
    screened = counts["included"] + counts["excluded"]
    share = counts["included"] / screened if screened else 0.0
    return {"total": sum(counts.values()), **counts, "screened": screened,
            "estimated_relevant_left": round(share * (counts["open"] + counts["maybe"] + counts["conflict"]), 1),
            "conflicts": [it.to_json() for it in inbox.items(("conflict",), limit=50)],
            "agreement": kappas, "reviewers": {r: len(d) for r, d in by_reviewer.items()}}


def cmd_stats(args: argparse.Namespace) -> int:
    with _inbox(args, create=True) as inbox:
        data = stats_of(inbox)
    if args.json:
        print_json(data)
        return 0
    print(f"{data['total']} record(s): {data['screened']} screened ({data['included']} included, {data['excluded']} "
          f"excluded), {data['maybe']} maybe, {data['conflict']} in conflict, {data['open']} open; "
          f"estimated relevant left: {data['estimated_relevant_left']}")
    for item in data["agreement"]:  # type: ignore[attr-defined]
        pair = " / ".join(item["reviewers"])
        print(f"agreement {pair}: {kappa_text(item)}")
    for item in data["conflicts"]:  # type: ignore[attr-defined]
        print(f"conflict #{item['id']}: {item['title'][:90]} - a third reviewer decides")
    return 0


def cmd_prisma(args: argparse.Namespace) -> int:
    with _inbox(args, create=True) as inbox:
        for what, name, known in (("no search or file named {!r} fed the inbox", args.search, inbox.sources()),
                                  ("no inbox record is linked to the entry {!r}", args.entry, inbox.entries())):
            if name is not None and name not in known:  # a typo drew an empty flow, as if nothing had been found
                print(f"reflib screen prisma: {what.format(name)}; known: {'; '.join(sorted(known)) or '(none yet)'}",
                      file=sys.stderr)
                return 1
        f = flow(inbox, args.search, args.entry)
    if args.format in ("svg", "png"):
        data = to_svg(f).encode("utf-8") if args.format == "svg" else to_png(f)
        if args.output is None:
            if args.format == "png":
                print("reflib screen prisma: --format png needs -o FILE", file=sys.stderr)
                return 2
            sys.stdout.write(data.decode("utf-8"))
        else:
            args.output.write_bytes(data)
            print(f"wrote {args.output}")
        return 0
    if args.format == "json":
        print_json(f.to_json())
        return 0
    d = f.to_json()
    print(f"PRISMA 2020 flow ({f.label})\n  identified: {d['identified_total']} "
          f"({', '.join(f'{k}: {v}' for k, v in f.identified.items()) or 'none'})\n"
          f"  duplicates removed: {f.duplicates}\n"
          + (f"  removed before screening, no title or identifier: {f.removed_other}\n" if f.removed_other else "")
          + f"  screened: {f.screened} (undecided: {f.undecided}; awaiting "
          f"screening: {f.awaiting})\n"
          f"  excluded: {d['excluded_total']}" + "".join(f"\n    {k}: {v}" for k, v in f.excluded.items())
          + f"\n  included: {f.included}" + (f"\n  note: {f.note}" if f.note else ""))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    config = load_config(args.bib)
    reasons = [r.strip() for r in args.reason or [] if r.strip()]
    if args.reason is not None and not reasons:
        print("reflib screen config: an exclusion reason cannot be empty (the list is unchanged)", file=sys.stderr)
        return 2
    if args.reviewers is not None or reasons:
        config = ScreeningConfig(reasons or config.reasons, args.reviewers or config.reviewers)
        save_config(args.bib, config)
        if args.reviewers is not None:
            with _inbox(args, create=True) as inbox:
                inbox.set_reviewers(config.reviewers)
                _settle(args, inbox)  # back to one reviewer: a record one editor included is included now
    print(f"reviewers per record: {config.reviewers}\nexclusion reasons: {'; '.join(config.reasons)}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    try:
        from library.screen.simulate import read_dataset, simulate  # scikit-learn: loaded when simulating

        result = simulate(read_dataset(args.file), seed=args.seed)
    except LibraryError as exc:
        print(f"reflib screen simulate: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json(result.to_json())
        return 0
    print(f"{result.dataset}: {result.records} records, {result.included} included (seed {result.seed})\n"
          f"  model : WSS@95 {result.wss95:.3f}  recall@10% {result.recall10:.3f}  recall@25% {result.recall25:.3f}\n"
          f"  random: WSS@95 {result.random_wss95:.3f}  recall@10% {result.random_recall10:.3f}  "
          f"recall@25% {result.random_recall25:.3f}")
    return 0
