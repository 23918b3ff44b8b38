"""Config files that inherit: a YAML config may say ``base: <path relative to itself>`` and give only what
differs from that base.

Merging is deep for mappings (a section given in the file overrides only the keys it names) and replaces
lists and scalars. A base may have its own base; a cycle of bases is an error, and so is a missing base.
The merged mapping is checked as a whole by ``translator.config.from_dict``, so an unknown key is an error
wherever it is written, in a base too. A base's ``name`` is not inherited: a run is named after its own file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from translator.config import ConfigError

BASE_KEY = "base"


def read_mapping(path: Path) -> dict[str, Any]:
    """One YAML file's top-level mapping (ConfigError naming the file when it is missing or not a mapping)."""
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return raw


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: mappings merge key by key, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def resolve_bases(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The mapping of the config file ``path`` with its chain of bases merged in (without ``base``)."""
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ConfigError(f"a cycle of config bases: {chain}")
    raw = read_mapping(path)
    base = raw.pop(BASE_KEY, None)
    if base is None:
        return raw
    if not isinstance(base, str) or not base.strip():
        raise ConfigError(f"{path}: 'base' must be a path to another config, relative to this file")
    inherited = resolve_bases(path.parent / base, (*seen, path))
    inherited.pop("name", None)
    return deep_merge(inherited, raw)
