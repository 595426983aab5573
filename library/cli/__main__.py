"""``python -m library.cli``: the ``reflib`` command."""

from . import main

raise SystemExit(main())
