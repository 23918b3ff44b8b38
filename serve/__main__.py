"""``python -m serve --model DIR --host 127.0.0.1 --port 8080 --workers N --threads M``: production server.

Every setting of :class:`serve.settings.Settings` has a flag (``--max-batch-size``, ``--max-wait-ms``,
...) and an environment variable (``SERVE_MAX_BATCH_SIZE``, ...); flags win. A model that does not
load stops start-up with one ``error:`` line and exit status 1; bad settings exit with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Any

from serve.settings import Settings, SettingsError, load_settings

SHORT_HELP = {
    "model_dir": "model package directories, or folders of packages (default artifacts/default); env SERVE_MODEL_DIR "
    "separates them with os.pathsep",
    "quantize": "auto (the package's metadata), none (fp32), int8 (dynamic int8, CPU) or bf16 (bfloat16); "
    "env SERVE_QUANTIZE",
    "device": "cpu (default), cuda or cuda:N: where every package decodes (the workers share the GPU); "
    "env SERVE_DEVICE",
    "host": "address to bind (default 127.0.0.1)",
    "port": "port to bind (default 8080; 0 picks a free one)",
    "workers": "gunicorn worker processes, each with its own copy of the model",
    "threads": "request threads per worker (gthread)",
    "torch_threads": "torch intra-op threads per worker (default 1; 0: cores / workers)",
    "decode_slots": "decode calls one worker runs at once over all its packages (default 0: cores / workers)",
    "max_batch_size": "most sentences decoded together",
    "max_wait_ms": "longest a request waits for others to batch with",
    "proxy": "auto (nginx in front when installed), nginx (required) or none (gunicorn binds HOST:PORT)",
    "client_timeout_s": "nginx closes a connection whose request header or body takes longer (default 10)",
    "route_pairs": "true: nginx sends each language pair's requests to one worker (bigger decode batches with "
    "several pairs; needs nginx)",
    "api_keys_file": "file of API keys, one per line (# comments); without a valid key requests get 401",
    "rate_limit": "requests allowed per key (or client address), e.g. '60/minute;1000/hour'; empty: no limit",
    "rate_limit_storage": "where rate-limit counts live: memory:// (per worker), redis://host:6379, memcached://…",
}


class _JoinPaths(argparse.Action):
    """``--model a b c`` -> "a:b:c" (``os.pathsep``-joined, as ``Settings.model_dir`` holds several)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None):
        setattr(namespace, self.dest, os.pathsep.join(values))


def build_parser() -> argparse.ArgumentParser:
    """One flag per setting, all defaulting to None (= environment or built-in default)."""
    parser = argparse.ArgumentParser(prog="python -m serve", description="Serve translations over HTTP.")
    for field in dataclasses.fields(Settings):
        help_text = SHORT_HELP.get(field.name, f"default {field.default!r}; env SERVE_{field.name.upper()}")
        if field.name == "model_dir":
            parser.add_argument("--model", dest=field.name, nargs="+", action=_JoinPaths, help=help_text)
            continue
        flag = "--" + field.name.replace("_", "-")
        parser.add_argument(flag, dest=field.name, default=None, metavar=str(field.type).upper(), help=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse flags, validate settings, check the model and run gunicorn."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(vars(args))
    except SettingsError as err:
        print(f"error: invalid setting: {err}", file=sys.stderr)
        return 2
    from serve.server import ModelLoadError, ProxyError, run

    try:
        run(settings)
    except SettingsError as err:
        print(f"error: invalid setting: {err}", file=sys.stderr)
        return 2
    except (ModelLoadError, ProxyError) as err:
        print(str(err) if str(err).startswith("error:") else f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
