"""The translation service behind the HTTP routes: a loaded :class:`Translator`, its micro-batcher,
the model description and heatmap rendering. Nothing here knows about HTTP except :class:`ApiError`."""

from __future__ import annotations

import io
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict
from itertools import accumulate
from typing import Any

import torch

from serve.batcher import MicroBatcher
from serve.gate import WorkerGates
from serve.jobs import BatcherClosedError, QueueFullError
from serve.memory import release_memory
from serve.metrics import LaneMonitor
from serve.requests import Decoding, HeatmapRequest, TranslateRequest
from serve.routing import Pair
from serve.settings import Settings
from serve.validation import AlignRequest, ApiError
from translator.alignment.aligner import align_pairs, alignment_json
from translator.alignment.forced import AlignmentInputError
from translator.alignment.words import merge_alignment
from translator.constrained import Constraints
from translator.document import DocumentTranslation, assemble, plan
from translator.glossary import term_constraints
from translator.langcode import LanguageCodeError, normalise_code
from translator.package import PackageError
from translator.translate import Translation, Translator

# Package metadata that /v1/model shows; the rest (host, commit, file hashes, data mirror, ensemble member
# paths) stays in the package's metadata.json.
PUBLIC_METADATA = (
    "name",
    "src_lang",
    "tgt_lang",
    "parameters",
    "scores",
    "format",
    "format_version",
    "created",
    "checkpoint",
    "averaged_from",
    "quantization",
)
LOCAL_PATHS = ("mirror", "files")  # keys of metadata training_data that name local paths: not shown


def pair_of(translator: Translator) -> Pair:
    """The (source, target) language codes of a loaded package, in canonical form (``translator.langcode``;
    a package's metadata holds them so since training, and older packages are read the same way)."""
    meta = translator.metadata
    try:
        return normalise_code(str(meta.get("src_lang"))), normalise_code(str(meta.get("tgt_lang")))
    except LanguageCodeError as err:
        raise PackageError(f"the package's language pair: {err}") from None


def cost_chunks(texts: list[str], beam: int, limit: int) -> list[list[str]]:
    """``texts`` cut, in order, into runs of cost at most ``limit`` (a text over it alone)."""
    chunks: list[list[str]] = [[]]
    cost = 0
    for text in texts:
        text_cost = request_cost([text], beam)
        if chunks[-1] and cost + text_cost > limit:
            chunks.append([])
            cost = 0
        chunks[-1].append(text)
        cost += text_cost
    return chunks


def request_cost(texts: list[str], beam: int) -> int:
    """The work of a request in characters x beam width (decoding time grows with both)."""
    return sum(len(text) + 1 for text in texts) * beam


class TranslationService:
    """Owns the (read-only) translator and the batcher that groups concurrent requests."""

    def __init__(self, translator: Translator, settings: Settings, gates: WorkerGates | None = None) -> None:
        """``gates``: the decode slots this service shares with the worker's other packages (default: its own,
        ``settings.decode_slots_per_worker`` of them)."""
        self.translator = translator
        self.settings = settings
        gates = gates or WorkerGates(settings.decode_slots_per_worker)
        common = (translator.translate, settings.max_batch_size, settings.max_wait_ms, settings.max_queue)
        self.pair = pair_of(translator)  # canonical codes, read once
        pair = "-".join(self.pair)
        self.light = MicroBatcher(*common, name="light-lane", monitor=LaneMonitor(pair, "light"), gate=gates.light)
        self.heavy = MicroBatcher(
            *common,
            max_cost=settings.inflight_cost_limit,
            max_group_cost=settings.heavy_chunk_cost,
            after_decode=release_memory,
            name="heavy-lane",
            monitor=LaneMonitor(pair, "heavy"),
            gate=gates.heavy,
        )

    @property
    def ready(self) -> bool:
        """True once the model is loaded and both batcher threads run."""
        return self.light.alive and self.heavy.alive

    def load(self) -> dict[str, float]:
        """Work in flight in this worker: sentences of the light lane, cost of the heavy lane."""
        return {"light_sentences": self.light.in_flight[0], "heavy_cost": self.heavy.in_flight[1]}

    def lane(self, cost: float, sentences: int) -> MicroBatcher:
        """Requests of cost up to ``settings.light_cost`` and of at most ``settings.max_batch_size`` sentences
        go to the light lane, the others to the heavy lane: each lane has its own decoding thread, so a small
        request never waits behind a large one (a text of many short sentences, cheap by characters, would
        otherwise hold the light lane for several batches)."""
        small = cost <= self.settings.light_cost and sentences <= self.settings.max_batch_size
        return self.light if small else self.heavy

    def default_beam(self) -> int:
        """The beam size used when a request gives none (``serve.requests`` fills it in, once)."""
        return self.settings.default_beam or self.translator.package.decode_cfg.beam_size

    def summary(self) -> dict[str, Any]:
        """Name and languages, returned with every translation."""
        source, target = self.pair
        return {"name": self.translator.metadata.get("name"), "src_lang": source, "tgt_lang": target}

    def describe(self) -> dict[str, Any]:
        """What a client needs of the package (``PUBLIC_METADATA``: languages, size, scores, provenance without
        hosts, commits or paths) plus decoding defaults, architecture and server limits."""
        package = self.translator.package
        meta = self.translator.metadata
        info = {key: meta[key] for key in PUBLIC_METADATA if key in meta}
        if isinstance(meta.get("training_data"), dict):
            info["training_data"] = {k: v for k, v in meta["training_data"].items() if k not in LOCAL_PATHS}
        info.update(
            decode={**asdict(package.decode_cfg), "beam_size": self.default_beam()},
            architecture=asdict(package.model_cfg),
            limits=self.settings.public(),
            torch_threads=torch.get_num_threads(),
            quantization=self.translator.quantization,
        )
        info.setdefault("parameters", package.model.num_parameters())
        return info

    def pair_info(self) -> dict[str, Any]:
        """This package in ``GET /v1/languages``: its pair, name and scores."""
        meta = self.translator.metadata
        source, target = self.pair
        return {"source": source, "target": target, "model": meta.get("name"), "scores": meta.get("scores", {})}

    def translate(
        self, texts: list[str], decoding: Decoding, constraints: list[Constraints] | None = None
    ) -> list[Translation]:
        """Translate sentences with a request's ``decoding`` (and, for constrained decoding, each sentence's
        ``constraints``) through the lane of the request's cost (characters x beam). A heavy request goes in
        chunks of at most
        ``settings.heavy_chunk_cost``, so that the heavy lane shares its turns between large requests and a
        request that times out stops after its current chunk. Queue, work-in-flight and timeout problems
        become 503 ApiErrors (answered with Retry-After)."""
        beam = decoding.beam_size
        cost = request_cost(texts, beam)
        lane = self.lane(cost, len(texts))
        chunks = [texts] if lane is self.light else cost_chunks(texts, beam, self.settings.heavy_chunk_cost)
        futures = []
        try:
            costs = [request_cost(c, beam) for c in chunks]
            starts = accumulate((len(c) for c in chunks), initial=0)  # each chunk's first sentence
            per_chunk = [constraints[a : a + len(c)] for a, c in zip(starts, chunks)] if constraints else None
            futures = lane.submit_many(chunks, beam, costs, decoding.n_best, per_chunk)
            deadline = time.monotonic() + self.settings.request_timeout_s
            return [t for future in futures for t in future.result(timeout=max(0.0, deadline - time.monotonic()))]
        except (QueueFullError, BatcherClosedError) as err:
            raise ApiError(503, str(err)) from None
        except FutureTimeout:
            raise ApiError(503, f"translation did not finish within {self.settings.request_timeout_s:g} s") from None
        finally:
            for future in futures:
                future.cancel()  # no-op for finished or running chunks; drops the ones still waiting

    def translate_texts(self, request: TranslateRequest) -> list[DocumentTranslation]:
        """Split the request's texts into sentences (``translator.document``), check the sentence limits
        (ApiError 400), translate every sentence of the request as one submission and put each text back
        together."""
        lang = self.translator.metadata.get("src_lang", "en")
        doc_plan = plan(list(request.texts), lang, request.split, lines=bool(request.marked))  # markup: <br> splits
        sentences = doc_plan.sentences
        limit = self.settings.max_sentences
        if len(sentences) > limit:
            raise ApiError(400, f"the texts hold {len(sentences)} sentences; the limit per request is {limit}")
        longest = max(sentences, key=len, default="")
        if len(longest) > self.settings.max_sentence_chars:
            raise ApiError(
                400,
                f"a sentence is {len(longest)} characters long ({longest[:40]!r}...); the limit is "
                f"{self.settings.max_sentence_chars} (split long text into sentences)",
            )
        constraints = None
        if request.constrained:
            tok = self.translator.package.tokenizer
            constraints = [term_constraints(sentence, request.glossary, tok) for sentence in sentences]
        results = self.translate(sentences, request.decoding, constraints) if sentences else []
        return assemble(self.translator.package.tokenizer, doc_plan, results)

    def align(self, request: AlignRequest, reverse: TranslationService | None = None) -> dict[str, Any]:
        """Forced alignment of one given pair (teacher-forced: no search), with its word links; with ``reverse``
        (the package of the opposite pair) the links combine both directions by ``request.method.symmetrise``
        (the matrices returned stay this direction's)."""
        method, pair = request.method, (request.source, request.target)
        try:
            links, forced = align_pairs([pair], self.translator, method, reverse.translator if reverse else None)
        except AlignmentInputError as err:
            raise ApiError(400, str(err)) from None
        body = alignment_json(forced[0], links[0], method.shift)
        if reverse is None:
            return {"model": self.summary(), "method": method.name, **body}
        name = f"{method.name}, {method.symmetrise} of both directions"
        return {"model": self.summary(), "reverse_model": reverse.summary(), "method": name, **body}

    def heatmap_png(self, request: HeatmapRequest) -> bytes:
        """Translate one sentence and draw its alignment (piece or word level) as PNG bytes: at most
        ``settings.max_heatmap_tokens`` on either axis, the first ones, with the title saying so."""
        from translator.heatmap import crop_alignment, render_heatmap  # matplotlib is imported only when needed

        item = self.translate([request.text], request.decoding)[0]
        source, target, matrix = item.source_tokens, item.target_tokens, item.alignment
        if request.level == "word":
            words = merge_alignment(source, target, matrix)
            source, target, matrix = words["source_words"], words["target_words"], words["alignment"]
        source, target, matrix, cropped = crop_alignment(source, target, matrix, self.settings.max_heatmap_tokens)
        buffer = io.BytesIO()
        unit = "words" if request.level == "word" else "pieces"
        title = (item.text[:80] or "(empty translation)") + (f" ({cropped} {unit})" if cropped else "")
        render_heatmap(source, target, matrix, buffer, title=title, unit=unit)
        return buffer.getvalue()

    def close(self) -> None:
        """Stop both lanes (tests; gunicorn workers simply exit)."""
        self.light.close()
        self.heavy.close()
