"""Settings come from defaults, SERVE_* variables and flags, and are validated."""

from __future__ import annotations

import pytest

from serve.__main__ import build_parser
from serve.settings import Settings, SettingsError, load_settings


def test_defaults_env_and_overrides() -> None:
    assert load_settings(env={}) == Settings()
    env = {"SERVE_MAX_BATCH_SIZE": "16", "SERVE_MAX_WAIT_MS": "2.5", "SERVE_ACCESS_LOG": "yes", "SERVE_PORT": "9000"}
    settings = load_settings({"port": "9001", "workers": None}, env=env)
    assert (settings.max_batch_size, settings.max_wait_ms, settings.access_log) == (16, 2.5, True)
    assert settings.port == 9001 and settings.workers == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"port": "http"}, "not a valid int"),
        ({"port": 70000}, "port"),
        ({"workers": 0}, "workers"),
        ({"max_wait_ms": -1}, "max_wait_ms"),
        ({"max_beam": 100}, "max_beam"),
        ({"access_log": "maybe"}, "not a valid bool"),
        ({"max_queue": 2}, "max_queue"),
        ({"nonsense": 1}, "unknown setting"),
        ({"quantize": "int4"}, "quantize"),
        ({"device": "gpu"}, "device must be"),
        ({"device": "cuda:x"}, "device must be"),
        ({"device": "cuda", "quantize": "int8"}, "int8 runs on the CPU only"),
    ],
)
def test_invalid_settings(overrides: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(overrides, env={})


def test_every_setting_has_a_flag() -> None:
    args = build_parser().parse_args(["--model", "m", "--port", "1234", "--max-batch-size", "4", "--threads", "2"])
    settings = load_settings(vars(args), env={})
    assert (settings.model_dir, settings.port, settings.max_batch_size, settings.threads) == ("m", 1234, 4, 2)


@pytest.mark.parametrize(
    ("cores", "workers", "setting", "expected"), [(8, 2, 0, 4), (8, 3, 0, 2), (1, 2, 0, 1), (8, 2, 3, 3)]
)
def test_torch_threads_per_worker(monkeypatch, cores: int, workers: int, setting: int, expected: int) -> None:
    """0 shares the cores out among the workers (at least one each); a number is taken as it is."""
    monkeypatch.setattr("serve.settings.os.cpu_count", lambda: cores)
    assert Settings(workers=workers, torch_threads=setting).torch_threads_per_worker == expected
    assert Settings(workers=workers, decode_slots=setting).decode_slots_per_worker == expected  # the same rule


def test_device_setting() -> None:
    assert Settings().device == "cpu"
    assert load_settings(env={"SERVE_DEVICE": "cuda:1", "SERVE_QUANTIZE": "bf16"}).device == "cuda:1"
    assert load_settings(vars(build_parser().parse_args(["--device", "cuda"])), env={}).device == "cuda"


def test_quantize_setting() -> None:
    assert Settings().quantize == "auto" and Settings().translator_quantize is None
    settings = load_settings(env={"SERVE_QUANTIZE": "int8"})
    assert settings.quantize == "int8" and settings.translator_quantize == "int8"
    assert load_settings(vars(build_parser().parse_args(["--quantize", "none"])), env={}).translator_quantize == "none"
