"""Typed, frozen configuration for the model and for decoding.

Every config is a frozen dataclass validated in ``__post_init__``. ``from_dict`` builds one from a
plain mapping (a YAML section) and rejects unknown keys, so a typo in a config file is an error
instead of a silently ignored setting.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

from translator.special import SPECIAL_IDS

T = TypeVar("T")

MAX_BEAM = 64  # the widest beam any entry point accepts (library, command line, server settings)
# How a loaded model's weights are held for inference (``translator.quantize``): fp32, dynamic int8, bfloat16.
QUANTIZATIONS = ("none", "int8", "bf16")
DEVICE = re.compile(r"cpu|cuda(:\d{1,2})?")  # where a package decodes (the server, back-translation)
TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


class ConfigError(ValueError):
    """A configuration value or key is invalid."""


def n_best_problem(n_best: int, beam: int) -> str | None:
    """Why ``n_best`` alternatives cannot come from a beam of ``beam`` (None if they can): the one rule of the
    library, the command line and the server."""
    if 1 <= n_best <= beam:
        return None
    return f"n_best is {n_best} but the beam size is {beam}: n_best must be between 1 and the beam size"


def _parse_string(name: str, text: str, hint: type) -> Any:
    """A str, int, float or bool from its text (environment variables, command-line flags)."""
    text = text.strip()
    if hint is bool:
        if text.lower() in TRUE_WORDS + FALSE_WORDS:
            return text.lower() in TRUE_WORDS
        raise ConfigError(
            f"{name}: {text!r} is not a valid bool (use one of {', '.join(TRUE_WORDS[:2] + FALSE_WORDS[:2])})"
        )
    try:
        return hint(text)
    except ValueError:
        raise ConfigError(f"{name}: {text!r} is not a valid {hint.__name__}") from None


def _check_type(name: str, value: Any, hint: Any, parse_strings: bool = False) -> Any:
    """Check ``value`` against a simple type hint; ints are accepted (and converted) for floats.

    ``parse_strings``: a string given for an int, float or bool field is parsed (``"16"`` -> 16)."""
    if parse_strings and isinstance(value, str) and hint in (int, float, bool):
        return _parse_string(name, value, hint)
    origin = typing.get_origin(hint)
    if origin is Literal:
        if value not in typing.get_args(hint):
            raise ConfigError(f"{name}: {value!r} is not one of {list(typing.get_args(hint))}")
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        errors = []
        for inner in (a for a in args if a is not type(None)):
            try:
                return _check_type(name, value, inner, parse_strings)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError("; ".join(errors))
    if origin is tuple:
        return _check_tuple(name, value, typing.get_args(hint), parse_strings)
    if dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: expected a mapping, got {type(value).__name__}")
        return from_dict(hint, value, prefix=f"{name}.")
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float, str, bool) and (not isinstance(value, hint) or (hint is int and isinstance(value, bool))):
        raise ConfigError(f"{name}: expected {hint.__name__}, got {value!r}")
    return value


def _check_tuple(name: str, value: Any, args: tuple[Any, ...], parse_strings: bool) -> tuple[Any, ...]:
    """A list (YAML) or tuple for ``tuple[X, ...]`` (any length) or ``tuple[X, Y]`` (that length), each item
    checked against its type."""
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{name}: expected a list, got {value!r}")
    hints = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
    if len(hints) != len(value):
        raise ConfigError(f"{name}: expected {len(hints)} values, got {len(value)}")
    return tuple(_check_type(f"{name}[{k}]", v, h, parse_strings) for k, (v, h) in enumerate(zip(value, hints)))


def _drop_retired(cls: type, data: dict[str, Any], prefix: str) -> None:
    """Remove keys that ``cls.RETIRED`` lists (settings that are no longer configurable) when they hold
    the one value still allowed (configs saved by earlier versions); any other value is an error."""
    for key, fixed in getattr(cls, "RETIRED", {}).items():
        if key in data:
            value = data.pop(key)
            if value != fixed or isinstance(value, bool):
                raise ConfigError(f"{prefix}{key}: {value!r} cannot be configured; it is fixed to {fixed!r}")


def from_dict(cls: type[T], data: Mapping[str, Any] | None, prefix: str = "", parse_strings: bool = False) -> T:
    """Build the dataclass ``cls`` from ``data``; unknown keys and wrong types raise ConfigError.

    ``parse_strings``: accept strings for int, float and bool fields and parse them."""
    if data is not None and not isinstance(data, Mapping):
        raise ConfigError(f"{prefix or cls.__name__}: expected a mapping, got {type(data).__name__}")
    data = dict(data or {})
    _drop_retired(cls, data, prefix)
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ConfigError(f"unknown config key(s) {[prefix + k for k in unknown]}; allowed: {sorted(fields)}")
    values = {k: _check_type(prefix + k, v, hints[k], parse_strings) for k, v in data.items()}
    try:
        return cls(**values)
    except TypeError as err:  # a required field is missing
        raise ConfigError(f"{prefix or cls.__name__}: {err}") from None


def to_dict(cfg: Any) -> dict[str, Any]:
    """The config as plain nested dicts (for YAML)."""
    return dataclasses.asdict(cfg)


def require(cond: bool, message: str) -> None:
    """Raise ``ConfigError(message)`` unless ``cond`` (the validation step of every ``__post_init__``)."""
    if not cond:
        raise ConfigError(message)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the encoder-decoder.

    The encoder is a bidirectional RNN whose states have ``hidden_size`` features (``hidden_size // 2``
    per direction); the decoder is a stack of ``dec_layers`` RNN layers of ``hidden_size`` units
    with residual connections from layer 2 upward. The output layer is always tied to the target
    embedding; ``tie_src_tgt`` also ties the source embedding (needs a joint vocabulary).

    The special ids are not settings: they are ``translator.special``'s. Configs saved by earlier
    versions name them (``pad_id: 0`` ...); those values are accepted, any other is an error.
    """

    RETIRED: ClassVar[Mapping[str, int]] = SPECIAL_IDS

    src_vocab_size: int = 8000
    tgt_vocab_size: int = 8000
    emb_dim: int = 256
    hidden_size: int = 512
    enc_layers: int = 2
    dec_layers: int = 2
    cell: Literal["lstm", "gru"] = "lstm"
    attention: Literal["dot", "general", "additive"] = "general"
    dropout: float = 0.3
    emb_dropout: float = 0.1
    input_feeding: bool = True
    tie_src_tgt: bool = False

    def __post_init__(self) -> None:
        require(self.src_vocab_size > 4 and self.tgt_vocab_size > 4, "vocab sizes must be > 4")
        require(self.emb_dim > 0, "emb_dim must be > 0")
        require(self.hidden_size > 0 and self.hidden_size % 2 == 0, "hidden_size must be even and > 0")
        require(self.enc_layers >= 1 and self.dec_layers >= 1, "enc_layers and dec_layers must be >= 1")
        require(0.0 <= self.dropout < 1.0 and 0.0 <= self.emb_dropout < 1.0, "dropout must be in [0, 1)")
        require(
            not self.tie_src_tgt or self.src_vocab_size == self.tgt_vocab_size,
            "tie_src_tgt needs a joint vocabulary (src_vocab_size == tgt_vocab_size)",
        )


@dataclass(frozen=True)
class DecodeConfig:
    """Search settings: beam size, GNMT length penalty alpha, and the maximum output length,
    ``ceil(max_len_ratio * source_length + max_len_offset)`` pieces per sentence."""

    beam_size: int = 5
    length_penalty: float = 0.6
    max_len_ratio: float = 1.5
    max_len_offset: int = 10
    batch_size: int = 64

    def __post_init__(self) -> None:
        require(1 <= self.beam_size <= MAX_BEAM, f"beam_size must be in [1, {MAX_BEAM}]")
        require(self.length_penalty >= 0.0, "length_penalty must be >= 0")
        require(self.max_len_ratio > 0 and self.max_len_offset >= 0, "max_len_ratio > 0, max_len_offset >= 0")
        require(self.batch_size >= 1, "batch_size must be >= 1")
