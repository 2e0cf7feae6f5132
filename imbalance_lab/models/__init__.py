"""Model kinds: the MLP head and its training loop, the fine-tuned encoder, the model file, cross-validation,
scoring new files."""
