"""``python -m training.train`` on a user's corpus: a run end to end, re-use of its shards, every bad input as
one error line with exit status 2 and the run folder untouched, and two-process DDP on CPU (gloo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from tests.corpus_files import synthetic_pairs, write_tsv, write_two_files
from training.train import main

REPO = Path(__file__).resolve().parents[1]
PAIRS = synthetic_pairs(400)


def write_config(folder: Path, name: str = "mine", **train: object) -> Path:
    """A tiny model on files: train as two gzip files, valid and test as TSV."""
    data = {
        "src_lang": "pt_br",
        "tgt_lang": "ZH-hant",
        "train": write_two_files(folder / "corpus", "train", PAIRS[:360], gz=True),
        "valid": str(write_tsv(folder / "corpus" / "valid.tsv", PAIRS[360:380])),
        "test": str(write_tsv(folder / "corpus" / "test.tsv", PAIRS[380:])),
        "vocab_size": 60,
    }
    config = {
        "data": data,
        "model": {"emb_dim": 16, "hidden_size": 32},
        "train": {
            "batch_tokens": 800,
            "max_epochs": 1,
            "warmup_steps": 2,
            "checkpoint_every_n_steps": 3,
            "log_every_n_steps": 1,
            "accelerator": "cpu",
            "precision": "32-true",
            **train,
        },
        "decode": {"beam_size": 1, "max_len_ratio": 1.2, "max_len_offset": 3},
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run on files, in its own working directory."""
    workdir = tmp_path_factory.mktemp("files-run")
    cwd = Path.cwd()
    os.chdir(workdir)
    try:
        assert main(["--config", str(write_config(workdir))]) == 0
    finally:
        os.chdir(cwd)
    return workdir


def test_a_run_on_files_trains_exports_and_scores_its_test_set(trained: Path) -> None:
    metadata = json.loads((trained / "artifacts" / "mine" / "metadata.json").read_text())
    assert metadata["src_lang"] == "pt-BR" and metadata["tgt_lang"] == "zh-Hant"  # canonical BCP 47
    assert set(metadata["scores"]["test"]) >= {"bleu", "chrf", "signature"} and "val_bleu_beam" in metadata["scores"]
    data = metadata["training_data"]  # the corpora it was trained on, not Multi30k
    assert data["corpus"] == "own corpora" and data["files"]["valid"] == str(trained / "corpus" / "valid.tsv")
    assert data["files"]["train"]["src"].endswith("train.src.gz")
    clean = json.loads((trained / "runs" / "mine" / "shards" / "train" / "clean.json").read_text())
    assert clean["read"] == 360 and clean["kept"] + clean["too_long"] + clean["ratio"] == 360
    hyps = (trained / "runs" / "mine" / "eval" / "test.hyp.zh-Hant").read_text().splitlines()
    assert len(hyps) == 20


def test_codes_written_any_way_reach_the_package_trained_on_them(trained: Path) -> None:
    """pt_br / ZH-hant in the config, PT-br / zh_hant in a request: one BCP 47 rule, canonical pt-BR, zh-Hant."""
    from serve.app import create_app, service_of

    app = create_app(trained / "artifacts" / "mine")
    try:
        client = app.test_client()
        answer = client.post("/v1/translate", json={"text": "ein Hund 3", "source": "PT-br", "target": "zh_hant"})
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["model"]["src_lang"] == "pt-BR"
        assert client.get("/v1/languages").get_json()["pairs"][0]["source"] == "pt-BR"
        assert client.post("/v1/translate", json={"text": "a", "source": "pt-PT"}).status_code == 400
    finally:
        service_of(app).close()


def test_evaluate_reads_the_configs_test_set(trained: Path, monkeypatch, capsys) -> None:
    from training.evaluate import main as evaluate

    monkeypatch.chdir(trained)
    assert evaluate(["--config", "mine.yaml"]) == 0
    assert capsys.readouterr().out.startswith("test: BLEU ")
    assert evaluate(["--config", "mine.yaml", "--split", "train"]) == 2
    assert "--split must be valid or test" in capsys.readouterr().err


def test_a_changed_input_file_stops_a_resumed_run_and_leaves_it_untouched(trained: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(trained)
    config = trained / "mine.yaml"
    config.write_text(config.read_text().replace("max_epochs: 1", "max_epochs: 2"))
    before = snapshot(trained / "runs" / "mine")
    write_two_files(trained / "corpus", "train", PAIRS[:350], gz=True)  # same paths, other content
    assert main(["--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "was encoded from other versions of" in err and "train.src.gz" in err
    assert snapshot(trained / "runs" / "mine") == before


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda c: (c / "valid.tsv").unlink(), "missing corpus file"),
        (lambda c: (c / "valid.tsv").write_text("no tab\n"), "expected source<TAB>target"),
        (lambda c: (c / "train.src.gz").write_bytes(b"\x1f\x8b\x08\x00broken"), "not a readable gzip file"),
        (lambda c: (c / "train.tgt.gz").write_bytes(b"caf\xe9\n" * 360), "line 1: not valid UTF-8"),
        (lambda c: write_two_files(c, "train", PAIRS[:10] + PAIRS[:3], gz=True) and None, None),
        (lambda c: (c / "train.tgt.gz").write_bytes(b"one line\n"), "line counts differ"),
        (lambda c: write_two_files(c, "train", [("", "x")] * 5, gz=True) and None, "no training pairs left"),
    ],
)
def test_bad_corpora_are_one_error_line(tmp_path: Path, monkeypatch, capsys, corrupt, message) -> None:
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path)
    corrupt(tmp_path / "corpus")
    code = main(["--config", str(config)])
    err = capsys.readouterr().err
    if message is None:  # a small corpus with duplicates is fine: they are dropped and counted
        assert code == 0 and "duplicate 3" in err
        return
    assert code == 2 and err.splitlines()[-1].startswith("error: ") and message in err.splitlines()[-1]
    assert "Traceback" not in err
    assert not (tmp_path / "artifacts").exists()


def test_two_processes_train_with_ddp_on_cpu(tmp_path: Path) -> None:
    """Lightning's DDP (gloo) with two CPU processes: each rank reads its own batches from the shards."""
    config = write_config(tmp_path, devices=2, strategy="ddp")
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "training.train", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "GLOBAL_RANK: 1" in run.stderr and "distributed_backend=gloo" in run.stderr
    assert (tmp_path / "artifacts" / "mine" / "model.safetensors").is_file()
    assert "test BLEU" in run.stdout


def test_a_run_continues_from_a_package_with_its_pieces_and_weights(trained: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """train.init_from: the package's SentencePiece files are used as they are, the model starts from its
    weights, and model settings that differ from the package's are one error line before any data is encoded;
    its dropout rates are its own."""
    from training.config import load_config
    from training.export import with_vocab_sizes
    from training.module import TranslationModule
    from translator.package import load_package
    from translator.tokenizer import Tokenizer

    monkeypatch.chdir(trained)
    package = trained / "artifacts" / "mine"
    config = write_config(trained, "more", init_from=str(package))
    assert main(["--config", str(config)]) == 0
    assert (trained / "runs" / "more" / "spm" / "spm.model").read_bytes() == (package / "spm.model").read_bytes()
    cfg = with_vocab_sizes(load_config(config), Tokenizer.load(package))
    start = TranslationModule(cfg).model.state_dict()
    for name, tensor in load_package(package).model.state_dict().items():
        assert torch.equal(start[name], tensor), name
    wider = yaml.safe_load(config.read_text(encoding="utf-8"))
    wider["model"]["hidden_size"] = 48
    (trained / "wider.yaml").write_text(yaml.safe_dump(wider), encoding="utf-8")
    capsys.readouterr()
    assert main(["--config", str(trained / "wider.yaml")]) == 2
    assert "init_from's model settings differ (hidden_size: 32 there, 48 here)" in capsys.readouterr().err
    assert not (trained / "runs" / "wider").exists()  # refused before any data was read or encoded
    calmer = yaml.safe_load(config.read_text(encoding="utf-8"))
    calmer["name"], calmer["model"]["dropout"], calmer["model"]["emb_dropout"] = "calmer", 0.0, 0.0
    (trained / "calmer.yaml").write_text(yaml.safe_dump(calmer), encoding="utf-8")
    assert main(["--config", str(trained / "calmer.yaml")]) == 0
    saved = yaml.safe_load((trained / "runs" / "calmer" / "config.yaml").read_text(encoding="utf-8"))
    assert (saved["model"]["dropout"], saved["model"]["emb_dropout"]) == (0.0, 0.0)
