"""Configs that inherit: ``base:`` relative to the file, deep merge of mappings, lists and scalars replaced,
unknown keys and cycles refused, ``--print-config`` showing the resolved result."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.config import load_config
from training.config_bases import deep_merge
from training.train import main as train_main
from translator.config import ConfigError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_mappings_merge_deeply_and_lists_and_scalars_replace() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 3}
    assert deep_merge(base, {"a": {"y": [9]}, "b": {"z": 1}}) == {"a": {"x": 1, "y": [9]}, "b": {"z": 1}}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 3}  # the base is not changed


def test_a_config_gives_only_what_differs_from_its_base(tmp_path: Path) -> None:
    _write(tmp_path / "bases" / "parent.yaml", "name: parent\nmodel: {dropout: 0.4, emb_dim: 64}\ntrain: {lr: 0.01}\n")
    child = _write(tmp_path / "child.yaml", "base: bases/parent.yaml\nmodel: {dropout: 0.2}\n")
    cfg = load_config(child)
    assert (cfg.name, cfg.model.dropout, cfg.model.emb_dim, cfg.train.lr) == ("child", 0.2, 64, 0.01)


def test_a_chain_of_bases_resolves_relative_to_each_file(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "root.yaml", "model: {hidden_size: 48}\n")
    _write(tmp_path / "a" / "b" / "mid.yaml", "base: ../root.yaml\nmodel: {emb_dim: 40}\n")
    leaf = _write(tmp_path / "leaf.yaml", "base: a/b/mid.yaml\ntrain: {max_epochs: 3}\n")
    cfg = load_config(leaf)
    assert (cfg.model.hidden_size, cfg.model.emb_dim, cfg.train.max_epochs) == (48, 40, 3)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"base.yaml": "model: {no_such_key: 1}\n"}, "no_such_key"),
        ({"base.yaml": "base: child.yaml\n"}, "cycle"),
        ({}, "not found"),
        ({"base.yaml": "- a list\n"}, "mapping"),
    ],
)
def test_bad_bases_are_config_errors(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        _write(tmp_path / name, text)
    child = _write(tmp_path / "child.yaml", "base: base.yaml\n")
    with pytest.raises(ConfigError, match=message):
        load_config(child)


@pytest.mark.parametrize("lever", sorted((CONFIGS / "levers").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_lever_config_names_a_base_and_resolves(lever: Path) -> None:
    assert lever.read_text(encoding="utf-8").count("\nbase: ") == 1
    cfg = load_config(lever)
    assert cfg.name == lever.stem


def test_print_config_shows_the_resolved_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    child = _write(tmp_path / "child.yaml", f"base: {CONFIGS / 'tiny.yaml'}\nmodel: {{dropout: 0.05}}\n")
    assert train_main(["--config", str(child), "--print-config"]) == 0
    shown = capsys.readouterr().out
    assert "name: child" in shown and "dropout: 0.05" in shown and "base:" not in shown
    assert not (tmp_path / "runs").exists() and not Path("runs/child").exists()
