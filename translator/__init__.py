"""Plain-PyTorch inference library: model, search, tokenizer, package format, evaluation."""

from translator.translate import Translation, Translator

__all__ = ["Translation", "Translator"]
