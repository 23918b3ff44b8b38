"""The four special piece ids, the one source for the SentencePiece models, the model, search and the data.

SentencePiece is trained with exactly these ids (``training.vocab``), a loaded model file is checked
against them (``translator.tokenizer``), the embedding's padding row, the source mask and the loss's
``ignore_index`` use ``PAD_ID``, and search starts from ``BOS_ID`` and stops at ``EOS_ID``. They are
not configurable: a config that names other values is rejected (``translator.config.ModelConfig``).
"""

from __future__ import annotations

PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
SPECIAL_IDS = {"pad_id": PAD_ID, "unk_id": UNK_ID, "bos_id": BOS_ID, "eos_id": EOS_ID}
