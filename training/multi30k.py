"""Download, verify and read the Multi30k task-1 corpus.

Each file ``<split>.<lang>.gz`` is fetched from a mirror (an http(s) base URL or a local folder),
checked against the SHA-256 recorded in ``CHECKSUMS`` and decompressed to ``<data_dir>/<split>.<lang>``
(UTF-8, one sentence a line). The verified ``.gz`` is kept beside it, so a later call re-checks its
hash and skips the download. Every file is written to a temporary name first and then renamed, so an
interrupted run never leaves a half-written file behind.

CLI: ``python -m training.multi30k --config configs/x.yaml`` or ``--mirror DIR_OR_URL --langs de en``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from training.config import LANGS, UPSTREAM_MIRROR, DataConfig, load_config
from training.downloads import CorpusError, download_verified, is_url
from translator.errors import bad_input
from translator.files import sha256_file, temp_path

SPLITS = ("train", "val", "test_2016_flickr")
MIRROR_ENV = "MULTI30K_MIRROR"

# SHA-256 of every mirrored file (upstream multi30k/dataset, commit a3d2e0d26b56f3846f66a952536ffed4e401d05a).
CHECKSUMS: dict[str, str] = {
    "test_2016_flickr.cs.gz": "200a4a74cc9560f051924abb9803be008d1908d77f747e9141aeb86dfd2797f1",
    "test_2016_flickr.de.gz": "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8",
    "test_2016_flickr.en.gz": "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9",
    "test_2016_flickr.fr.gz": "6d326e188d259fb1d04ac19eae3af956559b3a0b93d7635e56c90987c40c8b90",
    "train.cs.gz": "a65adb8b32e3bc664f21ecba7a6e7f6950fd1f405e135f7c312faabdb6255077",
    "train.de.gz": "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6",
    "train.en.gz": "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
    "train.fr.gz": "622e75069e9f4c577425c4f277116ce66e63a2401c0a2312d90073cb12379a3c",
    "val.cs.gz": "b63226e05c4bd5dd6a42897d74b86a1b9d2c31498252c572b1ea7f7996927fcc",
    "val.de.gz": "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a",
    "val.en.gz": "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
    "val.fr.gz": "ca3106f1a72390591d25f6c45cb4cd39dec4cd3f123e099748a3ce5256c160e9",
}


def resolve_mirror(cfg: DataConfig) -> str:
    """``cfg.mirror``, else the ``MULTI30K_MIRROR`` environment variable, else the upstream URL."""
    return cfg.mirror or os.environ.get(MIRROR_ENV) or UPSTREAM_MIRROR


def _decompress(gz_path: Path, text_path: Path, mirror: str) -> None:
    """Decompress ``gz_path`` to ``text_path`` atomically, checking that it is valid UTF-8."""
    temp = temp_path(text_path.parent, text_path.name)
    try:
        with gzip.open(gz_path, "rb") as handle:
            text = handle.read().decode("utf-8")
        temp.write_text(text, encoding="utf-8", newline="")
        temp.replace(text_path)
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise CorpusError(f"{gz_path.name} from mirror {mirror} is not gzip-compressed UTF-8 text: {err}") from None
    finally:
        temp.unlink(missing_ok=True)


def fetch_split(
    mirror: str, split: str, lang: str, data_dir: str | Path, checksums: dict[str, str] | None = None
) -> Path:
    """Fetch, verify and decompress ``<split>.<lang>.gz``; returns ``<data_dir>/<split>.<lang>``.

    Skips the download when a verified ``.gz`` is already in ``data_dir`` (its hash is re-checked),
    and the decompression too when the text file exists. Raises CorpusError on a hash mismatch,
    naming the file, the expected and actual hashes and the mirror. ``checksums``: the recorded SHA-256 of
    each file name (default: task 1's ``CHECKSUMS``).
    """
    name = f"{split}.{lang}.gz"
    checksums = CHECKSUMS if checksums is None else checksums
    expected = checksums.get(name)
    if expected is None:
        raise CorpusError(f"no recorded checksum for {name}; known files: {sorted(checksums)}")
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    gz_path, text_path = data_dir / name, data_dir / f"{split}.{lang}"
    if gz_path.is_file() and sha256_file(gz_path) == expected:
        if not text_path.is_file():
            _decompress(gz_path, text_path, mirror)
        return text_path
    location = f"{mirror.rstrip('/')}/{name}" if is_url(mirror) else str(Path(mirror.removeprefix("file://")) / name)
    try:
        download_verified(location, expected, gz_path)
    except CorpusError as err:
        raise CorpusError(f"{err} (mirror {mirror})") from None
    _decompress(gz_path, text_path, mirror)
    return text_path


def fetch_all(mirror: str, langs: Iterable[str], data_dir: str | Path) -> list[Path]:
    """Fetch every split of SPLITS for each language; returns the text files."""
    return [fetch_split(mirror, split, lang, data_dir) for split in SPLITS for lang in langs]


def prepare_corpus(cfg: DataConfig) -> Path:
    """Fetch train, val and test_2016_flickr for ``cfg.src_lang`` and ``cfg.tgt_lang``; returns the data folder."""
    fetch_all(resolve_mirror(cfg), (cfg.src_lang, cfg.tgt_lang), cfg.data_dir)
    return Path(cfg.data_dir)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m training.multi30k", description="Fetch and verify Multi30k.")
    parser.add_argument("--config", help="experiment YAML; its data section gives the languages, mirror and folder")
    parser.add_argument("--mirror", help="local folder or http(s) base URL (overrides the config)")
    parser.add_argument("--langs", nargs="+", choices=LANGS, help="languages to fetch (default: the config's pair)")
    parser.add_argument("--data-dir", help="output folder (overrides the config)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit status (errors: one line on stderr, status 1)."""
    args = _parse_args(argv)
    try:
        cfg = load_config(args.config).data if args.config else DataConfig()
        cfg = dataclasses.replace(cfg, mirror=args.mirror or cfg.mirror, data_dir=args.data_dir or cfg.data_dir)
        langs = args.langs or [cfg.src_lang, cfg.tgt_lang]
        mirror = resolve_mirror(cfg)
        paths = fetch_all(mirror, dict.fromkeys(langs), cfg.data_dir)
    except (ValueError, OSError) as err:
        return bad_input(err)
    print(f"{len(paths)} verified files from {mirror} in {cfg.data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
