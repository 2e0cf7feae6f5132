"""New minority TEXTS for balance.method text_augment: EDA's operations that need no download (Wei & Zou 2019,
without WordNet synonyms): random word dropout, random swap, random insertion of a word from the same class's
training texts. Pure Python + numpy; the caller embeds the new texts with the embed stage's own embedder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

OPERATIONS = ("dropout", "swap", "insert")
TRIES = 5  # an operation can give back its input (one-word text, swapping equal words): draw again


@dataclass(frozen=True)
class Texts:
    """The texts of the rows being resampled, in row order, and the embed stage's embedder for new texts."""

    texts: Sequence[str]
    embed: Callable[[list[str]], np.ndarray]

    def subset(self, rows: np.ndarray) -> Texts:
        return Texts([self.texts[i] for i in rows], self.embed)


def recording(texts: Texts) -> tuple[Texts, list[str]]:
    """The same texts, with an embedder that also keeps every text it embeds (the new ones), in order."""
    made: list[str] = []

    def embed(new: list[str]) -> np.ndarray:
        made.extend(new)
        return texts.embed(new)

    return Texts(texts.texts, embed), made


def _changes(words: list[str], rate: float, rng: np.random.Generator) -> int:
    return max(1, int(round(rate * len(words))))


def dropout(words: list[str], rate: float, rng: np.random.Generator, vocabulary: list[str]) -> list[str]:
    """Each word dropped with probability rate; at least one word always stays."""
    kept = [w for w in words if rng.random() >= rate]
    return kept or [words[int(rng.integers(len(words)))]]


def swap(words: list[str], rate: float, rng: np.random.Generator, vocabulary: list[str]) -> list[str]:
    out = list(words)
    if len(out) < 2:
        return out
    for _ in range(_changes(out, rate, rng)):
        i, j = rng.choice(len(out), size=2, replace=False)
        out[i], out[j] = out[j], out[i]
    return out


def insert(words: list[str], rate: float, rng: np.random.Generator, vocabulary: list[str]) -> list[str]:
    """Words drawn from the class's own training texts, put at random positions."""
    out = list(words)
    for _ in range(_changes(words, rate, rng)):
        out.insert(int(rng.integers(len(out) + 1)), vocabulary[int(rng.integers(len(vocabulary)))])
    return out


APPLY = {"dropout": dropout, "swap": swap, "insert": insert}


def augment_class(
    texts: Sequence[str], n_new: int, operations: Sequence[str], rate: float, rng: np.random.Generator
) -> tuple[list[str], np.ndarray]:
    """n_new texts, each one operation (drawn uniformly from `operations`) applied to a source text drawn uniformly
    from `texts` (one class's training texts). Returns the texts and their source positions. A result equal to its
    source is drawn again; after TRIES a word is inserted, so every new text differs from its source."""
    split = [t.split() for t in texts]
    vocabulary = sorted({w for words in split for w in words})
    sources = rng.integers(len(texts), size=n_new)
    new = []
    for source in sources:
        words = split[source]
        for _ in range(TRIES):
            changed = APPLY[operations[int(rng.integers(len(operations)))]](words, rate, rng, vocabulary)
            if changed != words:
                break
        else:
            changed = words + [vocabulary[int(rng.integers(len(vocabulary)))]]
        new.append(" ".join(changed))
    return new, sources
