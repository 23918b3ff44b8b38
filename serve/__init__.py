"""HTTP serving of translations with alignments (Flask app, micro-batcher, gunicorn entry point).

``translator`` never imports this package; this package builds on ``translator.Translator``.
"""

from serve.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
