"""Pair routing: nginx sends every request of one language pair to the same gunicorn instance.

Without it every worker holds every package and nginx shares requests out in turn, so 32 clients over four
pairs and two workers leave about four sentences per model per worker at a time, and decode calls stay
small (``translator_batch_sentences``). With ``route_pairs`` the server runs one gunicorn instance per
worker, each on its own Unix socket (``serve.instances``), and nginx reads ``source`` and ``target`` from
the JSON body and hashes the pair to a fixed instance: pair i of the catalog goes to instance i mod N, so an
instance's decode calls gather the sentences of fewer models.

Routing only places requests; it never decides an answer. Every instance still holds every package, so a
request that names no pair (a ``GET``, a one-package server's requests, a body over
``ROUTE_BODY_BYTES`` or with escaped codes) goes to the instances in turn and is answered all the same, and
a pair whose instance cannot be reached is retried on another one.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from translator.langcode import MAX_CODE_CHARS

Pair = tuple[str, str]  # (source, target) canonical language codes (translator.langcode); serve.service uses it
ROUTE_BODY_BYTES = 64 * 1024  # request bodies nginx keeps in memory, so it can read their pair
# What nginx captures from a body's "source"/"target": every canonical code (translator.langcode) fits, so
# every pair is routable; a request that spells its code otherwise (pt_br) goes in turn and is answered alike.
BODY_CODE = rf"[A-Za-z0-9_-]{{1,{MAX_CODE_CHARS}}}"
KEY_SALTS = 10_000  # candidate suffixes when looking for a key that nginx hashes to a given instance


def nginx_peer(key: str, peers: int) -> int:
    """The upstream server (0-based, in the order declared, equal weights) that nginx's ``hash KEY;``
    (not ``consistent``) tries first for ``key``: ((crc32(key) >> 16) & 0x7fff) mod ``peers``, as in
    ``ngx_http_upstream_get_hash_peer`` (the Cache::Memcached-compatible hash)."""
    return ((zlib.crc32(key.encode("utf-8")) >> 16) & 0x7FFF) % peers


def route_key(instance: int, instances: int) -> str:
    """The first key ``w<instance>-<salt>`` that nginx's hash sends to ``instance`` of ``instances``."""
    for salt in range(KEY_SALTS):
        key = f"w{instance}-{salt}"
        if nginx_peer(key, instances) == instance:
            return key
    raise ValueError(f"no hash key found for instance {instance} of {instances}")  # pragma: no cover


def pair_routes(pairs: Sequence[Pair], instances: int) -> dict[Pair, int]:
    """Which instance serves each pair (canonical codes, as the catalog holds them): pair i (catalog order)
    goes to instance i mod ``instances``."""
    return {pair: i % instances for i, pair in enumerate(pairs)}


def _body_field(variable: str, field: str) -> str:
    """An nginx ``map`` from the request body to the JSON string value of ``field`` ("" when absent)."""
    pattern = rf'"~\"{field}\"\s*:\s*\"(?<route_code>{BODY_CODE})\""'
    return f'  map $request_body ${variable} {{ {pattern} $route_code; default ""; }}'


def nginx_route_maps(routes: dict[Pair, int], instances: int) -> str:
    """The ``http``-level nginx lines that set ``$route_key``: the hash key of the instance serving the
    body's pair, empty (round-robin) for any other request."""
    lines = [
        f"  client_body_buffer_size {ROUTE_BODY_BYTES};",
        _body_field("route_source", "source"),
        _body_field("route_target", "target"),
        '  map "$route_source>$route_target" $route_key {',
        *(f'    "{s}>{t}" "{route_key(i, instances)}";' for (s, t), i in routes.items()),
        '    default "";',
        "  }",
    ]
    return "\n".join(lines)


def describe_routes(routes: dict[Pair, int]) -> str:
    """One line for the start-up log: which instance serves which pairs."""
    by_instance: dict[int, list[str]] = {}
    for (source, target), instance in routes.items():
        by_instance.setdefault(instance, []).append(f"{source}->{target}")
    return "; ".join(f"instance {i}: {', '.join(names)}" for i, names in sorted(by_instance.items()))
