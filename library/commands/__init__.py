"""Subcommands of the ``reflib`` CLI, one small module per area."""
