"""reflib's core: the record model, the lossless BibTeX store and its pandas view."""

from .errors import BibFileError, ConflictError, KeyExistsError, LibraryError, UnknownKeyError
from .model import Author, EntryLink, Record, Synopsis
from .store import Library, Problem

__all__ = [
    "Author",
    "BibFileError",
    "ConflictError",
    "EntryLink",
    "KeyExistsError",
    "Library",
    "LibraryError",
    "Problem",
    "Record",
    "Synopsis",
    "UnknownKeyError",
]
__version__ = "0.1.0"
