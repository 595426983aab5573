"""Exceptions with messages a user can act on; the CLI prints them on one line."""

from __future__ import annotations

__all__ = ["BibFileError", "ConflictError", "InvalidRecordError", "KeyExistsError", "LibraryError", "UnknownKeyError"]


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


class InvalidRecordError(LibraryError, ValueError):
    """A record the store cannot write so that it reads back: a bad key, entry type or field name."""
