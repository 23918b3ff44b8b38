"""The lever-study tools: run summaries from the logs, the decode sweep, the results log."""

import json

from experiments.record import append
from experiments.runs import main as runs_main
from experiments.runs import summarise
from experiments.sweep import main as sweep_main
from experiments.sweep import settings


def test_settings_run_greedy_once():
    assert settings([1, 4], [0.0, 1.0]) == [(1, 0.0), (4, 0.0), (4, 1.0)]


def test_run_summary_reads_every_epoch_and_the_time(trained_run):
    summary = summarise(trained_run.workdir / "runs" / "smoke", at_epoch=1)
    assert summary["epochs"] == 2 and len(summary["val_bleu_by_epoch"]) == 2
    assert summary["best_val_bleu_greedy"] == max(summary["val_bleu_by_epoch"])
    assert summary["val_bleu_at_epoch_1"] == summary["val_bleu_by_epoch"][0]
    assert summary["train_seconds"] > 0
    finished = json.loads((trained_run.workdir / "runs" / "smoke" / "finished.json").read_text(encoding="utf-8"))
    assert summary["clock_seconds"] == finished["train_seconds"] > 0
    assert summary["hardware"] == finished["hardware"]  # the training's, e.g. "cpu x2"


def test_the_recorded_hardware_is_the_runs_not_the_recording_process(tmp_path):
    logs = tmp_path / "run" / "csv" / "version_0"
    logs.mkdir(parents=True)
    (logs / "metrics.csv").write_text("epoch,step,val_bleu\n0,49,5.2\n", encoding="utf-8")
    (tmp_path / "run" / "finished.json").write_text('{"train_seconds": 12.5, "hardware": "cpu x1"}', encoding="utf-8")
    record = append(summarise(tmp_path / "run", at_epoch=None), tmp_path / "results.jsonl")
    assert record["hardware"] == "cpu x1" and record["clock_seconds"] == 12.5


def test_run_summary_of_a_folder_without_logs_is_an_error(tmp_path, capsys):
    assert runs_main([str(tmp_path)]) == 2
    assert "not a training run folder" in capsys.readouterr().err


def test_run_summary_before_the_first_validation_is_an_error(tmp_path, capsys):
    logs = tmp_path / "csv" / "version_0"
    logs.mkdir(parents=True)
    (logs / "metrics.csv").write_text("epoch,step,train_loss\n0,49,5.2\n", encoding="utf-8")
    assert runs_main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "first epoch has not finished" in err


def test_sweep_prints_one_row_per_setting(trained_run, capsys):
    data = trained_run.workdir / "data" / "multi30k"
    code = sweep_main(
        ["--model", str(trained_run.package), "--data-dir", str(data), "--beams", "1", "2", "--alphas", "0", "1"]
        + ["--no-record"]
    )
    assert code == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("beam")]
    assert len(rows) == 3 and "BLEU" in rows[0]


def test_sweep_reports_bad_arguments(trained_run, capsys):
    assert sweep_main(["--model", str(trained_run.package), "--beams", "0", "--no-record"]) == 2
    assert "beam sizes" in capsys.readouterr().err
    assert sweep_main(["--model", "/no/such/package", "--no-record"]) == 2
    assert "not found" in capsys.readouterr().err


def test_append_adds_host_and_time(tmp_path):
    path = tmp_path / "results.jsonl"
    append({"kind": "decode", "bleu": 1.0}, path)
    append({"kind": "train", "bleu": 2.0}, path)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["kind"] for r in records] == ["decode", "train"]
    assert all({"time", "host", "hardware"} <= r.keys() for r in records)
