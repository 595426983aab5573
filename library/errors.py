"""Exceptions with messages a user can act on; the CLI prints them on one line.

Every error reflib reports is a :class:`LibraryError`, and its exit code is stable (``reflib``'s contract with
scripts; :func:`exit_code`):

====  ==========================================================================================================
0     ok
1     findings or errors the user must act on: a :class:`LibraryError` (a refused save, an unknown key, a file
      that cannot be read as input (``ingest.base.ReadError``), bad input (:class:`InputError`, among them
      ``library.identifiers.InvalidIdentifier``), a broken taxonomy/decisions/undo-log file, a failing online
      source), or ``check``/``dedupe`` findings
2     usage errors (argparse) and a library file that cannot be read (:class:`BibFileError`)
130   interrupted (Ctrl-C); nothing was saved
====  ==========================================================================================================
"""

from __future__ import annotations

__all__ = ["EXIT_CODES", "BibFileError", "ConflictError", "InputError", "InvalidRecordError", "KeyExistsError",
           "LibraryError", "UnknownKeyError", "exit_code"]


class LibraryError(Exception):
    """Base class of every error reflib reports to users."""


class BibFileError(LibraryError):
    """The library file cannot be read: missing, a directory, not UTF-8."""


class ConflictError(LibraryError):
    """The file changed on disk since it was loaded; saving would overwrite someone else's work."""


class KeyExistsError(LibraryError):
    pass


class UnknownKeyError(LibraryError, KeyError):
    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else ""


class InputError(LibraryError, ValueError):
    """Bad input a user gave (an argument, an identifier, a value), found before anything is fetched or written.

    Also a ValueError, so code that validates values with ``except ValueError`` keeps working."""


class InvalidRecordError(LibraryError, ValueError):
    """A record the store cannot write so that it reads back: a bad key, entry type or field name."""


# the most specific class listed first wins; every other LibraryError is 1
EXIT_CODES: tuple[tuple[type[LibraryError], int], ...] = ((BibFileError, 2), (LibraryError, 1))


def exit_code(error: LibraryError) -> int:
    """The process exit code of an error (see the table in this module's docstring)."""
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))
