"""Checkpoint averaging: the mean of the weights, refused for different models or missing files."""

import pytest
import torch

from training.average import average_checkpoints, epoch_checkpoints, main, write_average
from training.config import Config
from training.export import load_checkpoint_model
from translator.config import ConfigError, ModelConfig
from translator.model import Seq2Seq

CFG = ModelConfig(src_vocab_size=20, tgt_vocab_size=20, emb_dim=8, hidden_size=16)


def save_model_checkpoint(path, seed, cfg=CFG):
    torch.manual_seed(seed)
    model = Seq2Seq(cfg)
    torch.save({"state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}}, path)
    return model


@pytest.fixture
def run(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    models = [save_model_checkpoint(tmp_path / "checkpoints" / f"epoch-{i:02d}.ckpt", i) for i in (3, 1, 2)]
    return tmp_path, models


def test_epoch_checkpoints_are_in_epoch_order(run):
    folder, _ = run
    assert [p.name for p in epoch_checkpoints(folder)] == ["epoch-01.ckpt", "epoch-02.ckpt", "epoch-03.ckpt"]


def test_average_is_the_mean_of_every_weight(run, tmp_path):
    folder, models = run
    out = write_average(epoch_checkpoints(folder), tmp_path / "avg.ckpt")
    averaged = load_checkpoint_model(Config(model=CFG), out)
    for name, param in averaged.named_parameters():
        expected = torch.stack([dict(m.named_parameters())[name].detach() for m in models]).mean(0)
        torch.testing.assert_close(param.detach(), expected)
    assert averaged.decoder.output.weight is averaged.tgt_embed.weight  # tying survives


def test_average_of_one_checkpoint_is_that_checkpoint(run):
    folder, _ = run
    first = epoch_checkpoints(folder)[0]
    state = torch.load(first, weights_only=False)["state_dict"]
    for key, value in average_checkpoints([first]).items():
        torch.testing.assert_close(value, state[key])


def test_average_refuses_different_models_and_missing_files(run, tmp_path):
    folder, _ = run
    bigger = ModelConfig(src_vocab_size=20, tgt_vocab_size=20, emb_dim=8, hidden_size=32)
    save_model_checkpoint(tmp_path / "other.ckpt", 0, bigger)
    with pytest.raises(ValueError, match="differ"):
        average_checkpoints([*epoch_checkpoints(folder), tmp_path / "other.ckpt"])
    with pytest.raises(ValueError, match="not found"):
        average_checkpoints([tmp_path / "missing.ckpt"])
    with pytest.raises(ValueError, match="no checkpoints"):
        average_checkpoints([])


def test_cli_averages_the_last_n_and_reports_errors(run, tmp_path, capsys):
    folder, _ = run
    out = tmp_path / "cli.ckpt"
    assert main(["--run", str(folder), "--last", "2", "--out", str(out)]) == 0
    assert torch.load(out, weights_only=False)["averaged_from"] == [str(p) for p in epoch_checkpoints(folder)[-2:]]
    assert main(["--out", str(out), str(tmp_path / "nope.ckpt")]) == 2
    assert "error: checkpoint not found" in capsys.readouterr().err


def test_config_needs_kept_checkpoints_to_average():
    from training.config import TrainConfig

    with pytest.raises(ConfigError, match="average_last_epochs"):
        TrainConfig(keep_epoch_checkpoints=2, average_last_epochs=3)
    assert TrainConfig(keep_epoch_checkpoints=3, average_last_epochs=3).average_last_epochs == 3
