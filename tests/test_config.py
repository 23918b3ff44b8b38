"""Configs: strict keys and types, every shipped config loads, round trip through YAML."""

from pathlib import Path

import pytest

from training.config import Config, load_config, save_config
from translator.config import MAX_BEAM, ConfigError, DecodeConfig, ModelConfig, from_dict, n_best_problem, to_dict
from translator.special import SPECIAL_IDS

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


def test_special_ids_are_not_settings():
    """The ids come from translator.special alone: a config naming other values is refused (it would train
    with a loss, padding and search that disagree); the values that configs of earlier versions saved load."""
    assert "pad_id" not in to_dict(ModelConfig())
    for key, value in SPECIAL_IDS.items():
        assert from_dict(ModelConfig, {key: value}) == ModelConfig()
        with pytest.raises(ConfigError, match=f"model.{key}: 5 cannot be configured"):
            from_dict(Config, {"model": {key: 5}})


def test_strings_are_parsed_only_when_asked():
    with pytest.raises(ConfigError, match="expected int"):
        from_dict(DecodeConfig, {"beam_size": "5"})
    cfg = from_dict(DecodeConfig, {"beam_size": " 5 ", "length_penalty": "0.5"}, parse_strings=True)
    assert (cfg.beam_size, cfg.length_penalty) == (5, 0.5)
    with pytest.raises(ConfigError, match="'five' is not a valid int"):
        from_dict(DecodeConfig, {"beam_size": "five"}, parse_strings=True)


def test_beam_limit_is_one_constant_across_entry_points():
    from serve.settings import Settings, SettingsError
    from translator.cli import build_parser

    assert DecodeConfig(beam_size=MAX_BEAM).beam_size == Settings(max_beam=MAX_BEAM).max_beam == MAX_BEAM
    with pytest.raises(ConfigError):
        DecodeConfig(beam_size=MAX_BEAM + 1)
    with pytest.raises(SettingsError):
        Settings(max_beam=MAX_BEAM + 1)
    parser = build_parser()
    assert parser.parse_args(["translate", "--model", "m", "--beam-size", str(MAX_BEAM)]).beam_size == MAX_BEAM
    with pytest.raises(SystemExit):
        parser.parse_args(["translate", "--model", "m", "--beam-size", str(MAX_BEAM + 1)])


@pytest.mark.parametrize("n_best, beam", [(0, 5), (6, 5), (2, 1)])
def test_n_best_problem_names_both_sizes_when_out_of_range(n_best, beam):
    problem = n_best_problem(n_best, beam)
    assert problem is not None and f"n_best is {n_best}" in problem and f"beam size is {beam}" in problem


@pytest.mark.parametrize("n_best, beam", [(1, 1), (1, 5), (5, 5)])
def test_n_best_problem_accepts_one_to_the_beam(n_best, beam):
    assert n_best_problem(n_best, beam) is None
