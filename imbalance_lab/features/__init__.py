"""Rows -> feature vectors: the embedding backends, the embedding cache, column scaling."""
