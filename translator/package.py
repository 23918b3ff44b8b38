"""The model package: a self-contained directory that loads without Lightning.

Layout (format version 1)::

    <package>/
      model.safetensors   weights (tied tensors stored once; no pickle)
      config.yaml         resolved experiment config; ``model`` and ``decode`` sections are read here
      spm.model           joint SentencePiece model, or spm.src.model + spm.tgt.model
      metadata.json       format, languages, training data, scores, commit, parameter count, file hashes
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml
from safetensors import SafetensorError
from safetensors.torch import load_model, save_model

from translator.config import DEVICE, ConfigError, DecodeConfig, ModelConfig, from_dict
from translator.files import sha256_file
from translator.model import Seq2Seq
from translator.tokenizer import Tokenizer

FORMAT = "bilstm-attention-translator"
FORMAT_VERSION = 1
WEIGHTS, CONFIG, METADATA = "model.safetensors", "config.yaml", "metadata.json"


class PackageError(ValueError):
    """A directory is not a valid model package."""


@dataclass(frozen=True)
class Package:
    """A loaded package: the model (eval mode), its tokenizer, configs and metadata."""

    model: Seq2Seq  # or a translator.ensemble.Ensemble (Translator.load with several packages)
    tokenizer: Tokenizer
    model_cfg: ModelConfig
    decode_cfg: DecodeConfig
    metadata: dict[str, Any]
    config: dict[str, Any]


def save_package(
    out_dir: str | Path, model: Seq2Seq, tokenizer: Tokenizer, config: dict[str, Any], metadata: dict[str, Any]
) -> Path:
    """Write a package atomically: built in a temporary sibling folder, then renamed over ``out_dir``.

    ``config`` is the full resolved config as a dict (with ``model`` and ``decode`` sections).
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        save_model(model, str(tmp / WEIGHTS))
        (tmp / CONFIG).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        for file in tokenizer.files():
            shutil.copyfile(file, tmp / file.name)
        files = {p.name: sha256_file(p) for p in sorted(tmp.iterdir())}
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "parameters": model.num_parameters()}
        meta.update(metadata, files=files)
        (tmp / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        tmp.chmod(0o755)  # mkdtemp creates 0700; a package is meant to be read by other users (a server)
        for path in tmp.iterdir():
            path.chmod(0o644)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out_dir


def read_metadata(pkg: Path) -> dict[str, Any]:
    """The verified metadata of package ``pkg`` (PackageError naming the file when anything is wrong)."""
    if not pkg.is_dir():
        raise PackageError(f"model package not found: {pkg} is not a directory")
    missing = [name for name in (WEIGHTS, CONFIG, METADATA) if not (pkg / name).is_file()]
    if missing:
        raise PackageError(f"{pkg} is not a model package: missing {', '.join(missing)}")
    try:
        meta = json.loads((pkg / METADATA).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise PackageError(f"{pkg / METADATA}: not valid JSON ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise PackageError(f"{pkg} is not a {FORMAT} package (metadata format is {meta.get('format')!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise PackageError(f"{pkg}: unsupported package format version {meta.get('format_version')!r}")
    for name, digest in meta.get("files", {}).items():
        if name != METADATA and (not (pkg / name).is_file() or sha256_file(pkg / name) != digest):
            raise PackageError(f"{pkg / name}: missing or corrupt (SHA-256 differs from metadata.json)")
    return meta


def _read_config(pkg: Path) -> tuple[dict[str, Any], ModelConfig, DecodeConfig]:
    try:
        config = yaml.safe_load((pkg / CONFIG).read_text(encoding="utf-8"))
        if not isinstance(config, dict):
            raise PackageError(f"{pkg / CONFIG}: the top level must be a mapping")
        return config, from_dict(ModelConfig, config.get("model")), from_dict(DecodeConfig, config.get("decode"))
    except (yaml.YAMLError, UnicodeDecodeError, ConfigError) as err:
        raise PackageError(f"{pkg / CONFIG}: invalid config: {err}") from None


def check_device(device: str) -> None:
    """PackageError unless ``device`` names a device of this machine: ``cpu``, or ``cuda`` / ``cuda:N`` with N
    below the CUDA device count."""
    if DEVICE.fullmatch(device) is None:
        raise PackageError(f"device must be cpu, cuda or cuda:N, not {device!r}")
    if device == "cpu":
        return
    count = torch.cuda.device_count()  # 0 without CUDA
    index = int(device.partition(":")[2] or 0)
    if index >= count:
        raise PackageError(f"device {device!r} asked for, but this machine has {count} CUDA device(s)")


def load_package(path: str | Path, device: str | torch.device = "cpu") -> Package:
    """Load and verify a package; any defect raises PackageError with the offending file named."""
    pkg = Path(path)
    meta = read_metadata(pkg)
    config, model_cfg, decode_cfg = _read_config(pkg)
    try:
        tokenizer = Tokenizer.load(pkg)
    except (OSError, ValueError, RuntimeError) as err:
        raise PackageError(f"{pkg}: cannot load the SentencePiece model(s): {err}") from None
    if (tokenizer.src_vocab_size, tokenizer.tgt_vocab_size) != (model_cfg.src_vocab_size, model_cfg.tgt_vocab_size):
        raise PackageError(f"{pkg}: tokenizer vocabulary sizes do not match the model config")
    model = Seq2Seq(model_cfg)
    try:
        missing, unexpected = load_model(model, str(pkg / WEIGHTS), strict=False)
    except (SafetensorError, RuntimeError, OSError) as err:
        raise PackageError(f"{pkg / WEIGHTS}: cannot load weights: {err}") from None
    if missing or unexpected:
        raise PackageError(f"{pkg / WEIGHTS}: weights do not match the config (missing {missing}, extra {unexpected})")
    model.to(device).eval()
    return Package(model, tokenizer, model_cfg, decode_cfg, meta, config)
