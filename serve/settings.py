"""Server settings: one frozen, validated dataclass built from defaults, ``SERVE_*`` env vars and CLI flags.

Every field can be set by the environment variable ``SERVE_<FIELD>`` in upper case (for example
``SERVE_MAX_BATCH_SIZE=16``); ``python -m serve`` flags override the environment. Values are checked and
converted by the same ``translator.config.from_dict`` as every other config (strings parsed).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import limits

from translator.config import DEVICE, MAX_BEAM, QUANTIZATIONS, ConfigError, from_dict

ENV_PREFIX = "SERVE_"
# prometheus-client's multiprocess folder variable; here so that the gunicorn master can set it without
# importing prometheus_client (which picks its value storage when first imported)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
QUANTIZE_CHOICES = ("auto", *QUANTIZATIONS)


class SettingsError(ConfigError):
    """A setting is missing, of the wrong type or out of range."""


def _cores() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """Everything the server can be configured with.

    Models: ``model_dir`` names one package directory, or several separated by ``os.pathsep`` (":" as in
    PATH; ``--model a b c`` joins them so); a folder that is not a package stands for the packages inside it.

    Limits: ``max_text_chars`` per text (a paragraph or document), ``max_sentence_chars`` per sentence after
    splitting, ``max_texts`` texts, ``max_request_chars`` characters and ``max_sentences`` sentences per
    request, ``max_body_bytes`` per request body, ``max_beam`` for ``beam_size`` (and ``n_best``),
    ``max_heatmap_tokens`` for the pieces drawn on either axis of a PNG heatmap (the first ones),
    ``max_glossary_entries`` for a request's glossary,
    ``max_alignment_cells`` for the whole-text matrices of a text of several sentences (target x source
    pieces; larger: left out, each sentence keeps its own); ``default_beam`` (0: the package's) is used when
    a request gives none.

    Access: ``api_keys_file`` (one key per line, ``#`` comments; empty: no keys needed) makes every
    translation endpoint answer 401 without a valid key (header ``X-API-Key`` or ``Authorization: Bearer``);
    ``rate_limit`` (flask-limiter syntax such as ``60/minute;1000/hour``; empty: none) applies per key, or per
    client address without keys, counted in ``rate_limit_storage`` (``memory://``: each worker counts alone;
    ``redis://...`` or ``memcached://...`` share one count between workers and servers). ``metrics``
    serves Prometheus metrics at ``/metrics``.

    Batching: concurrent requests are decoded in groups of at most ``max_batch_size`` sentences; a group
    waits at most ``max_wait_ms`` for companions, and only while recent load says more are coming.
    ``max_queue`` bounds the sentences waiting (more is answered 503) and ``request_timeout_s`` how long
    one request waits for its translation.

    Processes: ``workers`` gunicorn processes (each loads the model once) with ``threads`` request
    threads each; ``torch_threads`` intra-op threads per worker (0: cores divided by workers). The
    default 1 suits this model size: OpenMP threads spin badly when cores are shared. ``decode_slots``
    bounds the decode calls one worker runs at once over all its packages and lanes (0: cores divided by
    workers; the heavy lanes get half of them, at least one; see ``serve.gate``).

    Scheduling: a request's cost is its characters times its beam width. Requests of cost up to
    ``light_cost`` (one long sentence at beam 5) and of at most ``max_batch_size`` sentences are decoded by a
    light lane, the others by a heavy lane, each
    with its own thread, so a small request never queues behind a flood of large ones; the heavy lane accepts
    work while the cost in flight stays under ``max_inflight_cost`` (0: four of the largest requests), else
    503 with Retry-After. ``max_requests`` > 0 recycles a worker after that many requests (with 10 % jitter).

    Front: ``proxy`` ``auto`` puts nginx in front of gunicorn when it is installed (``nginx``: required,
    ``none``: gunicorn binds HOST:PORT itself; see ``serve.proxy``); nginx closes a connection whose request
    header or body does not arrive within ``client_timeout_s`` and holds at most ``max_connections``.
    ``route_pairs`` (needs nginx) runs one gunicorn instance per worker and has nginx send each language
    pair's requests to one of them, so decode calls gather more sentences of one model (``serve.routing``);
    it suits traffic spread over at least as many pairs as workers, since one pair's traffic then has one
    worker.

    Model: ``quantize`` is ``int8`` (dynamic int8 weights, faster on CPU), ``bf16`` (bfloat16 weights: faster
    on CPUs with native bf16, see ``translator.quantize``), ``none`` (fp32), or ``auto``:
    whatever the package's metadata asks for (int8 for packages exported with ``--int8``, else fp32; on a
    GPU, fp32). ``device`` is where every package decodes: ``cpu``, or ``cuda`` / ``cuda:N`` (all workers
    share that GPU; int8 is CPU-only); start-up stops when the machine has no such device.
    """

    model_dir: str = "artifacts/default"
    quantize: str = "auto"
    device: str = "cpu"
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    threads: int = 32
    torch_threads: int = 1
    decode_slots: int = 0
    max_text_chars: int = 5000
    max_sentence_chars: int = 1000
    max_texts: int = 64
    max_request_chars: int = 64000
    max_sentences: int = 256
    max_alignment_cells: int = 250_000
    max_body_bytes: int = 1 << 20
    max_beam: int = 16
    max_heatmap_tokens: int = 100
    max_glossary_entries: int = 500
    default_beam: int = 0
    max_batch_size: int = 32
    max_wait_ms: float = 20.0
    max_queue: int = 2048
    request_timeout_s: float = 60.0
    light_cost: int = 5000
    max_inflight_cost: int = 0
    max_requests: int = 0
    proxy: str = "auto"
    client_timeout_s: float = 10.0
    max_connections: int = 1024
    route_pairs: bool = False
    access_log: bool = False
    api_keys_file: str = ""
    glossary_dir: str = ""
    rate_limit: str = ""
    rate_limit_storage: str = "memory://"
    metrics: bool = True

    def __post_init__(self) -> None:
        checks = [
            (bool(self.models), "model_dir must name at least one package"),
            (self.quantize in QUANTIZE_CHOICES, f"quantize must be one of {', '.join(QUANTIZE_CHOICES)}"),
            (DEVICE.fullmatch(self.device) is not None, "device must be cpu, cuda or cuda:N"),
            (self.device == "cpu" or self.quantize != "int8", "int8 runs on the CPU only: none or bf16 on cuda"),
            (bool(self.host), "host must not be empty"),
            (0 <= self.port <= 65535, "port must be in [0, 65535]"),
            (1 <= self.workers <= 64, "workers must be in [1, 64]"),
            (1 <= self.threads <= 1024, "threads must be in [1, 1024]"),
            (0 <= self.torch_threads <= 256, "torch_threads must be in [0, 256] (0: automatic)"),
            (0 <= self.decode_slots <= 256, "decode_slots must be in [0, 256] (0: automatic)"),
            (self.max_text_chars >= 1, "max_text_chars must be >= 1"),
            (self.max_sentence_chars >= 1, "max_sentence_chars must be >= 1"),
            (self.max_alignment_cells >= 1, "max_alignment_cells must be >= 1"),
            (self.max_texts >= 1, "max_texts must be >= 1"),
            (self.max_request_chars >= self.max_text_chars, "max_request_chars must be >= max_text_chars"),
            (self.max_sentences >= self.max_texts, "max_sentences must be >= max_texts"),
            (self.max_body_bytes >= 1024, "max_body_bytes must be >= 1024"),
            (1 <= self.max_beam <= MAX_BEAM, f"max_beam must be in [1, {MAX_BEAM}]"),
            (self.max_heatmap_tokens >= 1, "max_heatmap_tokens must be >= 1"),
            (self.max_glossary_entries >= 1, "max_glossary_entries must be >= 1"),
            (0 <= self.default_beam <= self.max_beam, "default_beam must be in [0, max_beam] (0: the package's)"),
            (self.max_batch_size >= 1, "max_batch_size must be >= 1"),
            (0.0 <= self.max_wait_ms <= 10_000, "max_wait_ms must be in [0, 10000]"),
            (self.max_queue >= self.max_sentences, "max_queue must be >= max_sentences"),
            (self.request_timeout_s > 0, "request_timeout_s must be > 0"),
            (self.light_cost >= 1, "light_cost must be >= 1"),
            (self.max_inflight_cost >= 0, "max_inflight_cost must be >= 0 (0: four of the largest requests)"),
            (self.max_requests >= 0, "max_requests must be >= 0 (0: workers are never recycled)"),
            (self.proxy in ("auto", "nginx", "none"), "proxy must be auto, nginx or none"),
            (0 < self.client_timeout_s <= 3600, "client_timeout_s must be in (0, 3600]"),
            (16 <= self.max_connections <= 100_000, "max_connections must be in [16, 100000]"),
            (not (self.route_pairs and self.proxy == "none"), "route_pairs needs nginx (proxy auto or nginx)"),
        ]
        for ok, message in checks:
            if not ok:
                raise SettingsError(message)
        try:
            limits.parse_many(self.rate_limit or "1/second")
        except ValueError:
            raise SettingsError(f"rate_limit {self.rate_limit!r} is not a rate such as '60/minute;1000/hour'") from None

    @property
    def heavy_chunk_cost(self) -> int:
        """The most work (characters x beam) of one heavy-lane decode call: four light costs."""
        return 4 * self.light_cost

    @property
    def inflight_cost_limit(self) -> int:
        """The heavy lane's bound on work in flight (characters x beam): the setting, or four of the largest
        requests the limits allow."""
        return self.max_inflight_cost or 4 * (self.max_request_chars + self.max_sentences) * self.max_beam

    @property
    def models(self) -> tuple[str, ...]:
        """The package paths ``model_dir`` names (``os.pathsep``-separated)."""
        return tuple(path for path in self.model_dir.split(os.pathsep) if path)

    @property
    def cores_per_worker(self) -> int:
        """The machine's cores shared out among the workers (at least one)."""
        return max(1, _cores() // self.workers)

    @property
    def torch_threads_per_worker(self) -> int:
        """Intra-op threads for each worker: the setting, or ``cores_per_worker``."""
        return self.torch_threads or self.cores_per_worker

    @property
    def decode_slots_per_worker(self) -> int:
        """Decode calls one worker runs at once, over all its packages (``serve.gate``): the setting, or
        ``cores_per_worker``."""
        return self.decode_slots or self.cores_per_worker

    @property
    def translator_quantize(self) -> str | None:
        """The ``quantize`` argument of ``Translator.load``: None (the package's choice) for ``auto``."""
        return None if self.quantize == "auto" else self.quantize

    def public(self) -> dict[str, Any]:
        """The limits a client may want to know (no paths or addresses)."""
        keys = (
            "max_text_chars",
            "max_sentence_chars",
            "max_texts",
            "max_request_chars",
            "max_sentences",
            "max_alignment_cells",
            "max_body_bytes",
            "max_beam",
            "max_glossary_entries",
            "max_batch_size",
            "max_wait_ms",
        )
        return {k: getattr(self, k) for k in keys}


def load_settings(overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Defaults < ``SERVE_*`` environment variables < ``overrides`` (None values are ignored)."""
    env = os.environ if env is None else env
    names = [f.name for f in dataclasses.fields(Settings)]
    values: dict[str, Any] = {
        name: env[ENV_PREFIX + name.upper()] for name in names if ENV_PREFIX + name.upper() in env
    }
    for name, value in (overrides or {}).items():
        if name not in names:
            raise SettingsError(f"unknown setting {name!r}; known: {sorted(names)}")
        if value is not None:
            values[name] = value
    try:
        return from_dict(Settings, values, parse_strings=True)
    except ConfigError as err:  # type errors from from_dict, range errors (SettingsError) from Settings itself
        raise SettingsError(str(err)) from None
