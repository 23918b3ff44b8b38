"""Configs: strict keys and types, every shipped config loads, round trip through YAML."""

from pathlib import Path

import pytest

from training.config import load_config, save_config
from translator.config import ConfigError, DecodeConfig, ModelConfig, from_dict

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").rglob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_configs_load_and_round_trip(path, tmp_path):
    cfg = load_config(path)
    assert cfg.name == path.stem
    save_config(cfg, tmp_path / "c.yaml")
    assert load_config(tmp_path / "c.yaml") == cfg


def test_unknown_key_is_an_error():
    with pytest.raises(ConfigError, match="hidden"):
        from_dict(ModelConfig, {"hidden": 3})


@pytest.mark.parametrize("bad", [{"beam_size": "5"}, {"beam_size": 0}, {"beam_size": True}, {"length_penalty": -1}])
def test_wrong_types_and_ranges_are_errors(bad):
    with pytest.raises(ConfigError):
        from_dict(DecodeConfig, bad)


def test_ints_are_accepted_for_floats_and_configs_are_frozen():
    cfg = from_dict(DecodeConfig, {"length_penalty": 1})
    assert cfg.length_penalty == 1.0
    with pytest.raises(AttributeError):
        cfg.beam_size = 3
