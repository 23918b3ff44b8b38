"""Resuming a run folder: allowed when only training length or export settings change, refused with a
clear error (and nothing rewritten) when the model or data settings differ; --export-only of a copied run
keeps the requested name."""

import dataclasses
import json
import shutil

import pytest
import torch
import yaml

from training.config import load_config, save_config
from training.resume import changed_settings, check_resumable
from training.train import fit, main

BASE = {"data": {"src_lang": "de", "tgt_lang": "en", "vocab_size": 300}, "model": {"emb_dim": 256}}


def config(tmp_path, name="run", **sections):
    raw = {section: {**BASE.get(section, {}), **sections.get(section, {})} for section in {*BASE, *sections}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_config(path)


def test_training_length_and_export_settings_may_change(tmp_path):
    saved = config(tmp_path)
    later = config(tmp_path, train={"max_epochs": 30, "average_last_epochs": 0, "patience": 9})
    later = dataclasses.replace(later, data=dataclasses.replace(later.data, mirror="https://example.org/m30k"))
    assert changed_settings(saved, later) == []


def test_a_test_set_may_be_named_later(tmp_path):
    """data.test is scored after training only, so a run may be resumed with one added."""
    own = {"train": [{"files": {"src": "a.de", "tgt": "a.en"}}], "valid": {"src": "v.de", "tgt": "v.en"}}
    saved = config(tmp_path, data=own)
    later = config(tmp_path, data={**own, "test": {"src": "t.de", "tgt": "t.en"}})
    assert later.data.test is not None
    assert changed_settings(saved, later) == []


def test_model_and_data_changes_are_listed(tmp_path):
    saved = config(tmp_path)
    other = config(tmp_path, model={"emb_dim": 512}, data={"vocab_size": 6000})
    assert changed_settings(saved, other) == ["model.emb_dim: 256 -> 512", "data.vocab_size: 300 -> 6000"]


def make_run(tmp_path, cfg):
    out = tmp_path / "runs" / cfg.name
    (out / "checkpoints").mkdir(parents=True)
    save_config(cfg, out / "config.yaml")
    (out / "checkpoints" / "last.ckpt").write_bytes(b"weights of the old run")
    return out


def test_check_resumable_refuses_another_model(tmp_path):
    out = make_run(tmp_path, config(tmp_path))
    check_resumable(config(tmp_path, train={"max_epochs": 40}), out)  # same model: fine
    with pytest.raises(ValueError, match=r"model\.emb_dim: 256 -> 512.*--fresh"):
        check_resumable(config(tmp_path, model={"emb_dim": 512}), out)


def test_make_train_with_a_changed_model_is_a_clear_error_and_keeps_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = make_run(tmp_path, config(tmp_path))
    before = {p.name: p.read_bytes() for p in (out / "config.yaml", out / "checkpoints" / "last.ckpt")}
    config(tmp_path, model={"emb_dim": 512})  # rewrites run.yaml: same name, other model
    assert main(["--config", str(tmp_path / "run.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "model.emb_dim: 256 -> 512" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in (out / "config.yaml", out / "checkpoints" / "last.ckpt")} == before


def test_export_only_of_a_copied_run_uses_the_requested_name(trained_run, monkeypatch):
    """A run folder copied to runs/<other>/ exports as <other>: its metadata name and its averaged
    checkpoint and eval files go to runs/<other>/, never back to the folder it was copied from."""
    monkeypatch.chdir(trained_run.workdir)
    shutil.copytree("runs/smoke", "runs/copied", ignore=shutil.ignore_patterns("averaged.ckpt", "eval"))
    raw = yaml.safe_load(trained_run.config.read_text())
    raw["train"]["average_last_epochs"] = 2
    (trained_run.workdir / "copied.yaml").write_text(yaml.safe_dump(raw))
    assert main(["--config", "copied.yaml", "--export-only", "--out", "artifacts/copied"]) == 0
    meta = json.loads((trained_run.workdir / "artifacts/copied/metadata.json").read_text())
    assert meta["name"] == "copied"
    assert (trained_run.workdir / "runs/copied/checkpoints/averaged.ckpt").is_file()
    assert (trained_run.workdir / "runs/copied/eval/test_2016_flickr.json").is_file()


def test_training_a_copied_run_on_keeps_one_last_checkpoint(trained_run, monkeypatch):
    """A run folder copied under another name and trained on (the way README's longer runs continue
    shorter ones) keeps writing checkpoints/last.ckpt, so a kill resumes from the newest steps; no stale
    last.ckpt beside a new last-v1.ckpt."""
    monkeypatch.chdir(trained_run.workdir)
    shutil.copytree("runs/smoke", "runs/longer", ignore=shutil.ignore_patterns("finished.json"))
    raw = yaml.safe_load(trained_run.config.read_text())
    raw["train"]["max_epochs"] = 3
    (trained_run.workdir / "longer.yaml").write_text(yaml.safe_dump(raw))
    fit(load_config("longer.yaml"))
    names = sorted(p.name for p in (trained_run.workdir / "runs/longer/checkpoints").glob("last*.ckpt"))
    assert names == ["last.ckpt"]
    shorter, longer = (
        torch.load(trained_run.workdir / f"runs/{run}/checkpoints/last.ckpt", map_location="cpu", weights_only=False)
        for run in ("smoke", "longer")
    )
    assert longer["epoch"] == shorter["epoch"] + 1 and longer["global_step"] > shorter["global_step"]
