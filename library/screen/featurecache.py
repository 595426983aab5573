"""The ranking's features kept on disk between commands: ``reflib screen next`` and ``list`` are new processes, and
fitting TF-IDF over a 100,000-record inbox takes seconds each time. The file holds one fit and the key it was made
for (the texts, the metadata and every model setting); any other key, or an unreadable file, means fit again. Only
arrays are stored (``allow_pickle`` stays off): nothing in the file is executed."""

from __future__ import annotations

import contextlib
import hashlib
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import sklearn
from scipy import sparse

from ..atomic import atomic_write
from . import model
from .model import Features

__all__ = ["cache_path", "cached_features", "features_key"]

_SEPARATOR = "\x00"  # between terms (no term holds one: they are made of words and metadata values)


def cache_path(inbox: Path) -> Path:
    """``references.inbox.sqlite`` -> ``references.inbox.features.npz``."""
    return inbox.with_suffix(".features.npz")


def features_key(texts: Sequence[str], meta: Sequence[Sequence[str]] | None) -> str:
    """A digest of what a fit depends on: the texts and metadata, the model's settings (its upper-case module
    values, which the tuner changes at run time) and scikit-learn's version."""
    digest = hashlib.sha1(sklearn.__version__.encode())
    settings = sorted((name, repr(value)) for name, value in vars(model).items() if name.isupper())
    digest.update(repr(settings).encode())
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    digest.update(b"\x01")
    for tokens in meta or ():
        digest.update("\x00".join(tokens).encode("utf-8", "surrogatepass"))
        digest.update(b"\x01")
    return digest.hexdigest()


def _load(path: Path, key: str) -> Features | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if bytes(data["key"]).decode() != key:
                return None
            matrix = sparse.csr_matrix((data["data"], data["indices"], data["indptr"]), shape=tuple(data["shape"]))
            text = bytes(data["terms"]).decode("utf-8", "surrogatepass")
            terms = np.array(text.split(_SEPARATOR) if text else [], dtype=object)
            words, partner = (int(v) for v in data["columns"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if matrix.shape[1] != len(terms):
        return None
    return Features(matrix, terms, words, partner)


def _save(path: Path, key: str, features: Features) -> None:
    matrix = features.matrix.tocsr()
    terms = _SEPARATOR.join(str(t) for t in features.terms).encode("utf-8", "surrogatepass")
    buffer = io.BytesIO()
    np.savez(buffer, key=np.frombuffer(key.encode(), dtype=np.uint8), data=matrix.data, indices=matrix.indices,
             indptr=matrix.indptr, shape=np.array(matrix.shape, dtype=np.int64),
             terms=np.frombuffer(terms, dtype=np.uint8),
             columns=np.array([features.words, features.partner], dtype=np.int64))
    with contextlib.suppress(OSError):  # a cache: a read-only folder only costs the next command a fit
        atomic_write(path, [buffer.getbuffer()])


def cached_features(path: Path | None, texts: Sequence[str], meta: Sequence[Sequence[str]] | None) -> Features:
    """:func:`model.fit_features` of ``texts`` and ``meta``, read from ``path`` when it holds this very fit."""
    if path is None:
        return model.fit_features(texts, meta)
    key = features_key(texts, meta)
    found = _load(path, key) if path.exists() else None
    if found is not None:
        return found
    features = model.fit_features(texts, meta)
    _save(path, key, features)
    return features
