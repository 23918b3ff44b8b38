"""The smoke training run: loss falls, checkpoints and package are written, resume works."""

import csv
import dataclasses
import json
import os
import shutil
import signal
from pathlib import Path

import pytest
import torch

from training.average import epoch_checkpoints
from training.clock import TrainingClock
from training.config import load_config
from training.export import VAL_BEAM_KEY, load_checkpoint_model
from training.module import VAL_BLEU_KEY, recorded_val_bleu
from training.train import FitResult, export_source, main


def read_metric(run, name):
    (metrics,) = (run.workdir / "runs" / "smoke" / "csv").glob("version_*/metrics.csv")
    with metrics.open() as handle:
        return [float(row[name]) for row in csv.DictReader(handle) if row.get(name)]


def test_training_finishes_and_loss_falls(trained_run):
    assert trained_run.exit_code == 0
    losses = read_metric(trained_run, "train_loss")
    assert len(losses) >= 4
    assert sum(losses[-2:]) / 2 < sum(losses[:2]) / 2
    assert len(read_metric(trained_run, "val_bleu")) == 2, "validation BLEU is logged every epoch"


def test_checkpoints_logs_and_package_are_written(trained_run):
    ckpts = trained_run.workdir / "runs" / "smoke" / "checkpoints"
    assert (ckpts / "best.ckpt").is_file() and (ckpts / "last.ckpt").is_file()
    assert list((trained_run.workdir / "runs" / "smoke" / "tensorboard").rglob("events.out.tfevents*"))
    meta = json.loads((trained_run.package / "metadata.json").read_text())
    assert meta["src_lang"] == "de" and meta["tgt_lang"] == "en"
    scores = meta["scores"]["test_2016_flickr"]
    assert {"bleu", "chrf", "signature"} <= set(scores)
    assert scores["signature"].startswith("nrefs:1|case:mixed")


def test_best_checkpoint_records_the_best_validation_bleu(trained_run):
    """The score comes from the module's own record in the checkpoint, not from Lightning's callback state."""
    ckpts = trained_run.workdir / "runs" / "smoke" / "checkpoints"
    best = max(read_metric(trained_run, "val_bleu"))
    assert recorded_val_bleu(ckpts / "best.ckpt") == pytest.approx(best)
    last = torch.load(ckpts / "last.ckpt", map_location="cpu", weights_only=False)
    assert last[VAL_BLEU_KEY] == pytest.approx(read_metric(trained_run, "val_bleu")[-1])
    meta = json.loads((trained_run.package / "metadata.json").read_text())
    assert meta["scores"]["val_bleu"] == pytest.approx(best)


def test_last_checkpoint_holds_the_final_step(trained_run):
    last = torch.load(trained_run.workdir / "runs/smoke/checkpoints/last.ckpt", map_location="cpu", weights_only=False)
    assert last["global_step"] > 0
    assert last["epoch"] >= 1


def test_rerun_of_a_finished_run_exports_without_training(trained_run, capfd):
    """A second `make train` of a finished run says so and exports it: no step repeats, and the package's
    train_seconds is the run's own (saved in the checkpoints by TrainingClock), not the re-run's."""
    last_path = trained_run.workdir / "runs/smoke/checkpoints/last.ckpt"
    last = torch.load(last_path, map_location="cpu", weights_only=False)
    clock = next(v for k, v in last["callbacks"].items() if "TrainingClock" in k)
    finished = json.loads((trained_run.workdir / "runs/smoke/finished.json").read_text())
    assert finished["train_seconds"] > 0 and abs(clock["train_seconds"] - finished["train_seconds"]) < 60
    previous = os.getcwd()
    os.chdir(trained_run.workdir)
    try:
        code = main(["--config", str(trained_run.config), "--out", "artifacts/resumed"])
    finally:
        os.chdir(previous)
    assert code == 0
    assert "has finished training under these settings; exporting it without training" in capfd.readouterr().err
    assert torch.load(last_path, map_location="cpu", weights_only=False)["global_step"] == last["global_step"]
    metadata = json.loads((trained_run.workdir / "artifacts/resumed/metadata.json").read_text())
    original = json.loads((trained_run.package / "metadata.json").read_text())
    assert metadata["train_seconds"] == original["train_seconds"] == finished["train_seconds"]


def test_the_clock_adds_the_segments_of_a_resumed_run():
    clock = TrainingClock()
    clock.load_state_dict({"train_seconds": 100.0})  # what the checkpoint of the earlier segments holds
    clock.on_fit_start(None, None)
    assert 100.0 <= clock.total < 160.0 and clock.state_dict()["train_seconds"] >= 100.0


class FakeTime:
    """A clock that moves only when told; ``stop`` stands for the process standing still for ``stood`` s."""

    def __init__(self, stood: float) -> None:
        self.at, self.stood, self.stops = 1000.0, stood, 0

    def __call__(self) -> float:
        return self.at

    def stop(self) -> None:
        self.stops += 1
        self.at += self.stood


def test_the_time_a_run_stood_paused_is_not_counted() -> None:
    fake = FakeTime(stood=500.0)
    clock = TrainingClock(now=fake, stop=fake.stop)
    clock.load_state_dict({"train_seconds": 100.0})
    clock.on_fit_start(None, None)
    fake.at += 30.0
    clock.pause()  # SIGTSTP: the process stops for 500 s
    fake.at += 20.0
    assert fake.stops == 1 and clock.total == 150.0 and clock.state_dict()["train_seconds"] == 150.0


def test_the_fit_pauses_on_sigtstp_and_gives_its_handler_back() -> None:
    fake = FakeTime(stood=60.0)
    clock = TrainingClock(now=fake, stop=fake.stop)
    before = signal.getsignal(signal.SIGTSTP)
    clock.on_fit_start(None, None)
    try:
        os.kill(os.getpid(), signal.SIGTSTP)  # the handler runs (in this main thread) before the next line
        assert fake.stops == 1 and clock.paused == 60.0 and clock.total == 0.0
    finally:
        clock.on_fit_end(None, None)
    assert signal.getsignal(signal.SIGTSTP) is before


@pytest.mark.parametrize(
    "content, message",
    [
        ("data: {src_lang: de, tgt_lang: de}", "differ"),
        ("model: {hiden_size: 3}", "unknown config key"),
        ("[1, 2", "YAML"),
        ("train: {devices: many}", "devices must be"),
        ("train: {devices: -3}", "devices must be"),
        ("train: {devices: 0}", "devices must be"),
        ("train: {precision: fp64}", "precision must be one of"),
        ("train: {threads: -1}", "threads must be >= 0"),
        ("train: {accelerator: quantum}", "accelerator must be one of"),
        ("train: {max_steps: 0}", "max_steps"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, capsys, monkeypatch, content, message):
    """Every training setting is checked when the config loads: nothing is written (no run folder)."""
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    monkeypatch.chdir(tmp_path)
    assert main(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


@pytest.mark.parametrize(("flag", "value"), [("--devices", "many"), ("--devices", "0"), ("--threads", "-1")])
def test_bad_overrides_are_a_clear_error(tmp_path, capsys, monkeypatch, flag, value):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.yaml").write_text("data: {src_lang: de, tgt_lang: en}")
    assert main(["--config", "ok.yaml", flag, value]) == 2
    assert capsys.readouterr().err.startswith("error:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.yaml"]


def test_missing_config_file(capsys):
    assert main(["--config", "does/not/exist.yaml"]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_export_only_rebuilds_the_package_from_best_checkpoint(trained_run):
    previous = os.getcwd()
    os.chdir(trained_run.workdir)
    try:
        code = main(["--config", str(trained_run.config), "--export-only", "--out", "artifacts/again"])
    finally:
        os.chdir(previous)
    assert code == 0
    meta = json.loads((trained_run.workdir / "artifacts/again/metadata.json").read_text())
    assert meta["scores"]["val_bleu"] >= 0.0  # a number, not NaN
    assert meta["checkpoint"] == "best.ckpt"


def test_export_only_without_a_run_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "never.yaml"
    config.write_text("data: {vocab_size: 100}\n")
    assert main(["--config", str(config), "--export-only"]) == 2
    assert "no trained run" in capsys.readouterr().err


def test_epoch_checkpoints_are_kept_and_averaged_for_export(trained_run, monkeypatch):
    monkeypatch.chdir(trained_run.workdir)
    kept = epoch_checkpoints("runs/smoke")
    assert [p.name for p in kept] == ["epoch-00.ckpt", "epoch-01.ckpt"]
    cfg = load_config("runs/smoke/config.yaml")
    result = FitResult(cfg, kept[-1], 1.0, 1.0, 0)
    assert export_source(result) == (kept[-1], {})  # average_last_epochs 0: the best checkpoint as is
    cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, average_last_epochs=2))
    path, extra = export_source(dataclasses.replace(result, cfg=cfg))
    assert extra == {"averaged_from": ["epoch-00.ckpt", "epoch-01.ckpt"]}
    averaged, members = load_checkpoint_model(cfg, path), [load_checkpoint_model(cfg, p) for p in kept]
    for name, tensor in averaged.state_dict().items():
        expected = (members[0].state_dict()[name] + members[1].state_dict()[name]) / 2
        torch.testing.assert_close(tensor, expected, msg=name)


def test_if_needed_leaves_a_scored_export_alone_and_redoes_one_whose_scoring_was_lost(trained_run, tmp_path, capsys):
    previous = os.getcwd()
    os.chdir(trained_run.workdir)
    try:
        before = (trained_run.package / "metadata.json").read_text()
        assert main(["--config", str(trained_run.config), "--if-needed"]) == 0
        assert "trained and exported already" in capsys.readouterr().out
        assert (trained_run.package / "metadata.json").read_text() == before
        lost = Path(shutil.copytree(trained_run.package, tmp_path / "lost"))
        meta = json.loads((lost / "metadata.json").read_text())
        meta["scores"].pop(VAL_BEAM_KEY)  # as when the export was killed before its scoring
        (lost / "metadata.json").write_text(json.dumps(meta))
        assert main(["--config", str(trained_run.config), "--if-needed", "--out", str(lost)]) == 0
    finally:
        os.chdir(previous)
    assert "trained and exported already" not in capsys.readouterr().out
    assert VAL_BEAM_KEY in json.loads((lost / "metadata.json").read_text())["scores"]


def test_if_needed_exports_again_when_the_config_now_averages_otherwise(trained_run, tmp_path, capsys):
    """The same finished run, asked to export the average of its last 2 epochs instead of its best checkpoint:
    exported again (not trained again), and the package says which epochs it averages."""
    averaged = tmp_path / "averaged.yaml"
    averaged.write_text(f"base: {trained_run.config}\nname: smoke\ntrain: {{average_last_epochs: 2}}\n")
    out = Path(shutil.copytree(trained_run.package, tmp_path / "package"))
    previous = os.getcwd()
    os.chdir(trained_run.workdir)
    try:
        steps = torch.load("runs/smoke/checkpoints/last.ckpt", map_location="cpu", weights_only=False)["global_step"]
        assert main(["--config", str(averaged), "--if-needed", "--out", str(out)]) == 0
        assert "trained and exported already" not in capsys.readouterr().out
        assert json.loads((out / "metadata.json").read_text())["averaged_from"] == ["epoch-00.ckpt", "epoch-01.ckpt"]
        last = torch.load("runs/smoke/checkpoints/last.ckpt", map_location="cpu", weights_only=False)
        assert last["global_step"] == steps
        assert main(["--config", str(averaged), "--if-needed", "--out", str(out)]) == 0
        assert "trained and exported already" in capsys.readouterr().out
    finally:
        os.chdir(previous)
