"""Sentence vectors stored by (embedder settings, exact text), so a changed file embeds only the texts not seen before.

Layout: <root>/<settings key>/settings.json (what the key stands for, for people) and one <content hash>.npz shard per
run that embedded something (text digests, vectors, token counts). Shards are written atomically and never
modified; the first shard (by name) holding a text wins, so the vectors a run gets depend only on the cache's files.
The root is .cache/embeddings in the project (paths.project_cache: queued experiments share it), or
$IMBALANCE_LAB_EMBED_CACHE (a folder, or "off").
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imbalance_lab.pipeline.artifacts import read_npz, write_bytes, write_json
from imbalance_lab.pipeline.paths import project_cache

CACHE_ENV = "IMBALANCE_LAB_EMBED_CACHE"
DIGEST = np.dtype("S16")


def cache_root() -> Path | None:
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured.lower() in ("off", "none", "0", "false"):
        return None
    if configured:
        return Path(configured)
    return project_cache() / "embeddings"


def text_digests(texts: list[str]) -> np.ndarray:
    """128-bit blake2b of each text exactly as the model receives it (whitespace included)."""
    return np.array([hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts], dtype=DIGEST)


def settings_key(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:20]


@dataclass
class VectorStore:
    """The shards of one settings key, loaded once; add() writes the new texts as one more shard."""

    folder: Path | None  # None: caching off, nothing read or written
    rows: dict[bytes, tuple[np.ndarray, int]] = field(default_factory=dict)  # digest -> (vector, token count)
    shards: int = 0

    @classmethod
    def open(cls, settings: dict) -> VectorStore:
        root = cache_root()
        if root is None:
            return cls(None)
        store = cls(root / settings_key(settings))
        for shard in sorted(store.folder.glob("*.npz")):
            saved = read_npz(shard)
            store.shards += 1
            for digest, vector, tokens in zip(saved["digests"], saved["vectors"], saved["tokens"]):
                store.rows.setdefault(bytes(digest), (vector, int(tokens)))
        if not (store.folder / "settings.json").exists():
            write_json(store.folder / "settings.json", settings)
        return store

    def missing(self, digests: np.ndarray) -> np.ndarray:
        """Indices of the first occurrence of each digest not in the store."""
        seen: set[bytes] = set()
        out = []
        for index, digest in enumerate(digests.tolist()):
            if digest not in self.rows and digest not in seen:
                seen.add(digest)
                out.append(index)
        return np.asarray(out, dtype=np.int64)

    def add(self, digests: np.ndarray, vectors: np.ndarray, tokens: np.ndarray) -> None:
        for digest, vector, count in zip(digests.tolist(), vectors, tokens):
            self.rows.setdefault(digest, (vector, int(count)))
        if self.folder is None or not len(digests):
            return
        buffer = io.BytesIO()
        np.savez(buffer, digests=digests, vectors=vectors.astype(np.float32), tokens=tokens.astype(np.int32))
        data = buffer.getvalue()
        write_bytes(self.folder / f"{hashlib.sha256(data).hexdigest()[:20]}.npz", data)

    def lookup(self, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, token counts) for digests that are all in the store (after add)."""
        found = [self.rows[d] for d in digests.tolist()]
        return np.stack([v for v, _ in found]).astype(np.float32), np.array([t for _, t in found], dtype=np.int64)
