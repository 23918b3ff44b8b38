"""Paragraphs and documents: split into sentences, translate them as one batch, put the translation back
together, and locate every word of both sides in the original and the translated text.

``plan(texts, lang)`` lists the sentences of every text (``translator.segment``); a caller translates
``plan.sentences`` however it likes (``Translator.translate``, or the server's batcher) and hands the
results to ``assemble``. A word is a run of pieces as ``translator.alignment.words.word_spans`` groups them (the
same words as the word alignment); its character offsets come from SentencePiece's own piece offsets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from translator.alignment.links import DEFAULT_LINK_RULE
from translator.alignment.projection import WordRow
from translator.alignment.words import merge_alignment, merge_matrix, word_spans
from translator.constrained import Constraints
from translator.segment import Span, reassemble, sentence_spans
from translator.tokenizer import Tokenizer
from translator.translate import Translation, Translator, confidence_of


@dataclass(frozen=True)
class Word:
    """A word of one side: its text and its character span [start, end) in the whole original (source) or
    translated (target) text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SentenceTranslation:
    """One sentence of a text: where it is in the original (``source_span``) and where its translation is in
    the translated text (``target_span``), its translation, and its words with their offsets."""

    source_span: Span
    target_span: Span
    translation: Translation
    source_words: list[Word]
    target_words: list[Word]


@dataclass(frozen=True)
class DocumentTranslation:
    """A translated text: ``text`` is the translation with the original's line breaks and spacing."""

    source: str
    text: str
    sentences: list[SentenceTranslation]


@dataclass(frozen=True)
class Plan:
    """The sentences of several texts: ``spans[i]`` are text i's sentence spans, ``sentences`` all of their
    strings in order (text 0's first)."""

    texts: list[str]
    spans: list[list[Span]]

    @property
    def sentences(self) -> list[str]:
        return [text[a:b] for text, spans in zip(self.texts, self.spans) for a, b in spans]


def plan(texts: Sequence[str], lang: str, split: bool = True, lines: bool = False) -> Plan:
    """Split every text into sentences (``split`` False: each text, or with ``lines`` each line, is one
    sentence)."""
    return Plan(list(texts), [sentence_spans(text, lang, split, lines) for text in texts])


def _words(pieces: list[str], spans: list[Span], offset: int, text: str) -> list[Word]:
    """The words of ``pieces`` (``word_spans``) with the character spans of their pieces, shifted by
    ``offset``; a word's span runs from its first non-empty piece span to its last piece's end."""
    words = []
    for a, b in word_spans(pieces):
        inner = [span for span in spans[a:b] if span[1] > span[0]] or spans[a:b]
        start, end = inner[0][0], inner[-1][1]
        words.append(Word(text[start:end], start + offset, end + offset))
    return words


def _sentence(
    tokenizer: Tokenizer, text: str, span: Span, item: Translation, target_offset: int
) -> SentenceTranslation:
    source = text[span[0] : span[1]]
    source_words = _words(item.source_tokens, tokenizer.source_piece_spans(source), span[0], source)
    ids = tokenizer.target_ids(item.target_tokens)
    translated, piece_spans = tokenizer.target_piece_spans(ids)
    target_words = _words(item.target_tokens, piece_spans, target_offset, translated)
    target_span = (target_offset, target_offset + len(item.text))
    return SentenceTranslation(span, target_span, item, source_words, target_words)


def assemble(tokenizer: Tokenizer, doc_plan: Plan, results: Sequence[Translation]) -> list[DocumentTranslation]:
    """Put the translations of ``doc_plan.sentences`` (in that order) back into their texts."""
    if len(results) != sum(len(spans) for spans in doc_plan.spans):
        raise ValueError("one translation per planned sentence is needed")
    documents, used = [], 0
    for text, spans in zip(doc_plan.texts, doc_plan.spans):
        items = list(results[used : used + len(spans)])
        used += len(spans)
        translated, out_spans = reassemble(text, spans, [item.text for item in items])
        sentences = [_sentence(tokenizer, text, span, item, out[0]) for span, item, out in zip(spans, items, out_spans)]
        documents.append(DocumentTranslation(text, translated, sentences))
    return documents


def translate_documents(
    translator: Translator,
    texts: Sequence[str],
    beam_size: int | None = None,
    n_best: int = 1,
    split: bool = True,
    constraints_of: Callable[[str], Constraints] | None = None,
    lines: bool = False,
) -> list[DocumentTranslation]:
    """Split ``texts`` into sentences in the package's source language (``plan``), translate all of them as one
    batch (``Translator.translate``; with ``constraints_of``, each sentence under its constraints), and put each
    text back together."""
    doc_plan = plan(texts, translator.metadata["src_lang"], split, lines)
    constraints = [constraints_of(s) for s in doc_plan.sentences] if constraints_of else None
    results = translator.translate(doc_plan.sentences, beam_size=beam_size, n_best=n_best, constraints=constraints)
    return assemble(translator.package.tokenizer, doc_plan, results)


def _whole_matrix(document: DocumentTranslation) -> list[list[float]]:
    """The alignment of the whole text as one sentence would have it (the form every answer had before
    paragraphs): block-diagonal, each sentence's rows over its own source columns, so every row still sums
    to 1."""
    items = [s.translation for s in document.sentences]
    if len(items) == 1:
        return items[0].alignment
    width = sum(len(item.source_tokens) for item in items)
    rows: list[list[float]] = []
    before = 0
    for item in items:
        after = width - before - len(item.source_tokens)
        rows += [[0.0] * before + list(row) + [0.0] * after for row in item.alignment]
        before += len(item.source_tokens)
    return rows


def document_confidence(document: DocumentTranslation) -> float:
    """exp(mean log-probability) over every piece and every end of sentence of the text (1.0 for none)."""
    items = [s.translation for s in document.sentences]
    return confidence_of([lp for item in items for lp in (*item.token_logprobs, item.eos_logprob)])


def _word_json(words: list[Word]) -> list[dict[str, Any]]:
    return [{"text": w.text, "start": w.start, "end": w.end} for w in words]


def sentence_json(
    sentence: SentenceTranslation,
    alignment: bool = True,
    word_alignment: bool = False,
    link_rule: str = DEFAULT_LINK_RULE,
) -> dict[str, Any]:
    """One sentence of an answer: its text and translation with their spans, pieces, scores, words with
    offsets, word links (read by ``link_rule``, ``merge_alignment``) and, when asked, the matrices and the
    n-best list."""
    item = sentence.translation
    out: dict[str, Any] = {
        "translation": item.text,
        "source_span": list(sentence.source_span),
        "target_span": list(sentence.target_span),
        "source_tokens": item.source_tokens,
        "target_tokens": item.target_tokens,
        "score": item.score,
        "confidence": item.confidence,
        "token_logprobs": item.token_logprobs,
        "eos_logprob": item.eos_logprob,
    }
    if alignment:
        out["alignment"] = item.alignment
    words = merge_alignment(item.source_tokens, item.target_tokens, item.alignment, link_rule)
    out.update(source_words=_word_json(sentence.source_words), target_words=_word_json(sentence.target_words))
    out["word_links"] = words["links"]
    if word_alignment:
        out["word_alignment"] = words
    if item.alternatives:
        out["n_best"] = [{key: getattr(alt, attr) for key, attr in N_BEST_FIELDS.items()} for alt in item.alternatives]
    return out


N_BEST_FIELDS = {
    "translation": "text",
    "target_tokens": "target_tokens",
    "score": "score",
    "confidence": "confidence",
    "token_logprobs": "token_logprobs",
    "eos_logprob": "eos_logprob",
}


def document_json(
    document: DocumentTranslation,
    alignment: bool = True,
    word_alignment: bool = False,
    max_whole_cells: int | None = None,
    link_rule: str = DEFAULT_LINK_RULE,
) -> dict[str, Any]:
    """One translated text as the HTTP API and ``python -m translator translate --json`` write it: the fields
    a one-sentence answer always had (``translation``, ``source_tokens``, ``target_tokens``, ``score``,
    ``alignment``, ``word_alignment``) over the whole text, its ``confidence``, and ``sentences``.

    The whole-text matrices of a text of several sentences grow with the square of its length (mostly the
    zeros between sentences): with ``max_whole_cells`` they are left out when target pieces x source pieces
    pass it (every sentence keeps its own); ``whole_alignment`` says, for such texts, whether they are given.
    ``link_rule`` reads the word links (``merge_alignment``).
    A one-sentence text's are always given, and its answer is as before paragraphs."""
    items = [s.translation for s in document.sentences]
    source = [piece for item in items for piece in item.source_tokens]
    target = [piece for item in items for piece in item.target_tokens]
    out: dict[str, Any] = {"translation": document.text, "source_tokens": source, "target_tokens": target}
    out["score"] = sum(item.score for item in items) / len(items) if items else 0.0
    several = len(items) > 1
    whole = not several or max_whole_cells is None or len(source) * len(target) <= max_whole_cells
    if several and (alignment or word_alignment):
        out["whole_alignment"] = whole
    if whole and (alignment or word_alignment):  # built only when it is given
        matrix = _whole_matrix(document)
        if alignment:
            out["alignment"] = matrix
        if word_alignment:
            out["word_alignment"] = merge_alignment(source, target, matrix, link_rule)
    out["confidence"] = document_confidence(document)
    out["sentences"] = [sentence_json(s, alignment, word_alignment, link_rule) for s in document.sentences]
    return out


def document_links(
    document: DocumentTranslation, link_rule: str
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """A translated text's source and target word spans (offsets in its plain source and translation) and
    its word links (``link_rule``), numbered over the whole text rather than per sentence."""
    source_words: list[tuple[int, int]] = []
    target_words: list[tuple[int, int]] = []
    links: list[tuple[int, int]] = []
    for sentence in document.sentences:
        item = sentence.translation
        found = merge_alignment(item.source_tokens, item.target_tokens, item.alignment, link_rule)["links"]
        links += [(i + len(source_words), j + len(target_words)) for i, j in found]
        source_words += [(w.start, w.end) for w in sentence.source_words]
        target_words += [(w.start, w.end) for w in sentence.target_words]
    return source_words, target_words, links


def document_rows(document: DocumentTranslation) -> list[WordRow]:
    """Each target word's row of its sentence's word matrix (target words x source words), numbered over the
    whole text as ``document_links`` numbers words: what the links were read from."""
    rows: list[WordRow] = []
    first = 0
    for sentence in document.sentences:
        item = sentence.translation
        matrix = merge_matrix(item.alignment, word_spans(item.source_tokens), word_spans(item.target_tokens))
        rows += [WordRow(first, tuple(row)) for row in matrix]
        first += len(sentence.source_words)
    return rows


__all__ = [
    "DocumentTranslation",
    "Plan",
    "SentenceTranslation",
    "Word",
    "assemble",
    "document_confidence",
    "document_json",
    "document_links",
    "document_rows",
    "plan",
    "sentence_json",
    "translate_documents",
]
