"""Word alignment from the model's attention, grouped by what each module holds:

- ``words``: SentencePiece pieces grouped into words, piece matrices merged into word matrices;
- ``forced``: the teacher-forced attention of a given translation (forced alignment);
- ``links``: word links read from matrices, symmetrisation, the Pharaoh format and AER;
- ``aligner``: aligning sentence pairs with one model or both directions (``AlignMethod``);
- ``cli``: ``python -m translator align`` and ``python -m translator aer``.
"""
