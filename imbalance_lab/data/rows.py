"""Row identity: which rows of one float matrix occur, byte for byte, in another (and where), and the 64-bit key of
a text or feature row. The one place for it (embed's repeat checks, resampling's synthetic-row mask, train's
stale-balanced-file guard, score's training-row check, the fine-tuned encoder's texts of resampled rows)."""

from __future__ import annotations

import hashlib

import numpy as np

CHUNK_ROWS = 8192  # rows per block when hashing / comparing, so no full-size temporary copies


def text_hashes(values) -> np.ndarray:
    """64-bit blake2b of each stripped text, or of each feature row's raw bytes (hashing the repr of 1.5 KB
    of bytes instead made this 10x slower: ~4 s of the embed stage at 200k rows)."""
    digests = (
        hashlib.blake2b(v if isinstance(v, bytes) else str(v).strip().encode(), digest_size=8).digest() for v in values
    )
    return np.fromiter((int.from_bytes(d, "little") for d in digests), dtype=np.uint64, count=len(values))


def rows_not_in(X_out: np.ndarray, X_in: np.ndarray) -> np.ndarray:
    """True for rows of X_out whose exact bytes occur nowhere in X_in (so -0.0 and 0.0 differ, as bytes do).

    Rows are matched on a 64-bit hash, then each match is confirmed byte for byte, so the answer is exact;
    np.isin on whole rows as opaque 1.5 KB keys gives the same answer ~100x slower at 200k rows.
    """
    X_in, X_out = np.ascontiguousarray(X_in, dtype=np.float32), np.ascontiguousarray(X_out, dtype=np.float32)
    words_in, words_out = _as_words(X_in), _as_words(X_out)
    n = len(words_in)
    if len(words_out) >= n and np.array_equal(words_out[:n], words_in):
        # over-samplers return the input rows first, then the new ones: check only those
        return np.concatenate([np.zeros(n, dtype=bool), _not_in(words_out[n:], words_in)])
    return _not_in(words_out, words_in)


def _not_in(words_out: np.ndarray, words_in: np.ndarray) -> np.ndarray:
    return _first_in(words_out, words_in) < 0


def first_source_rows(X_out: np.ndarray, X_in: np.ndarray) -> np.ndarray:
    """For each row of X_out, the index of the first row of X_in with the same bytes, or -1 where none has."""
    X_in, X_out = np.ascontiguousarray(X_in, dtype=np.float32), np.ascontiguousarray(X_out, dtype=np.float32)
    return _first_in(_as_words(X_out), _as_words(X_in))


def _first_in(words_out: np.ndarray, words_in: np.ndarray) -> np.ndarray:
    """Hash match (the first input row of that hash, by a stable sort), then a byte-for-byte check."""
    first = np.full(len(words_out), -1, dtype=np.int64)
    if not len(words_in) or not len(words_out):
        return first
    keys_in, keys_out = row_keys(words_in), row_keys(words_out)
    order = np.argsort(keys_in, kind="stable")
    at = np.minimum(np.searchsorted(keys_in[order], keys_out), len(order) - 1)
    hit = np.flatnonzero(keys_in[order[at]] == keys_out)
    same = np.empty(len(hit), dtype=bool)
    for start in range(0, len(hit), CHUNK_ROWS):
        rows = hit[start : start + CHUNK_ROWS]
        same[start : start + CHUNK_ROWS] = (words_out[rows] == words_in[order[at[rows]]]).all(axis=1)
    first[hit[same]] = order[at[hit[same]]]
    for row in hit[~same]:  # equal hash, different bytes (rare): another input row may still match exactly
        match = np.flatnonzero((words_in == words_out[row]).all(axis=1))
        first[row] = match[0] if match.size else -1
    return first


def _as_words(X: np.ndarray) -> np.ndarray:
    """(n, w) unsigned ints holding each row's exact bytes; 8-byte words when the row length allows."""
    X = np.ascontiguousarray(X)
    size = 8 if (X.shape[1] * X.itemsize) % 8 == 0 else X.itemsize
    return X.view(np.dtype(f"u{size}")).reshape(X.shape[0], X.shape[1] * X.itemsize // size)


def row_keys(words: np.ndarray, chunk: int = CHUNK_ROWS) -> np.ndarray:
    """A 64-bit multiplicative hash of every row (fixed odd multipliers, wrapping uint64 arithmetic)."""
    multipliers = np.random.default_rng(0x5EED).integers(1, 2**63, size=words.shape[1], dtype=np.uint64) * 2 + 1
    keys = np.empty(len(words), dtype=np.uint64)
    for start in range(0, len(words), chunk):
        block = words[start : start + chunk].astype(np.uint64, copy=False)
        keys[start : start + chunk] = (block * multipliers).sum(axis=1, dtype=np.uint64)
    return keys
