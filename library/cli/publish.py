"""``reflib publish OUTDIR``: the library as a static website (see :mod:`library.publish`).

Editorial rules come from ``publish.toml`` (beside the library, ``$REFLIB_PUBLISH_CONFIG`` or ``--config``).
New studies get a slug stored in the library (which is saved); only changed pages are rewritten.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..evidence.encyclopedia import Encyclopedia, EntriesError, entries_for
from ..publish import PublishConfigError, config_for, load_config, publish_site
from .shell import open_library

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("publish", help="write the library as a static website into OUTDIR",
                            description="Write the library as a static website (study pages, topic and design "
                            "pages, entry reference blocks, feeds, search, sitemap) into OUTDIR.")
    parser.add_argument("outdir", type=Path, metavar="OUTDIR")
    parser.add_argument("--config", type=Path, default=None, help="publish.toml (default: beside the library)")
    parser.add_argument("--force", action="store_true", help="rewrite every file (ignore the last run's state)")
    parser.add_argument("--serve", action="store_true", help="then preview the site on http://127.0.0.1:PORT/")
    parser.add_argument("--port", type=int, default=8000, help="port of --serve (default 8000)")
    parser.set_defaults(handler=cmd_publish)


def cmd_publish(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config) if args.config else config_for(args.bib)
    except PublishConfigError as exc:
        print(f"reflib: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.outdir.exists() and not args.outdir.is_dir():
        print(f"reflib: {args.outdir} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    lib = open_library(args)
    try:
        entries = entries_for(args.bib)
    except EntriesError as exc:
        print(f"warning: no encyclopedia entries published: {exc}", file=sys.stderr)
        entries = Encyclopedia([])
    report = publish_site(lib, args.outdir, entries, config, force=args.force)
    if report.slugs_assigned:
        print(f"{report.slugs_assigned} new slug(s) stored in {args.bib}", file=sys.stderr)
    print(f"{report.studies} studies published to {args.outdir}: {report.written} file(s) written, "
          f"{report.unchanged} unchanged, {report.removed} removed; {report.rendered} study page(s) rendered "
          f"({report.cite_misses} formatted, {report.cite_hits} from the citation cache) in {report.seconds:.1f} s",
          file=sys.stderr)
    if args.serve:
        from ..publish.serve import make_server

        server = make_server(args.outdir, args.port)
        print(f"serving {args.outdir} on http://127.0.0.1:{server.server_address[1]}/index.html "
              "(Ctrl-C to stop)", file=sys.stderr)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return EXIT_OK
