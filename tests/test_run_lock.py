"""A second training of a run, or a second back-translation into one output, stops with one error line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pytorch_lightning.utilities import rank_zero_only

from training import backtranslate
from training.run_lock import RUN_LOCK, InUse, exclusive, run_lock
from training.train import main as train_main

HOLDER = """
import sys
from pathlib import Path
from training.run_lock import exclusive
with exclusive(Path(sys.argv[1]), "the folder"):
    print("held", flush=True)
    sys.stdin.read()  # holds the lock until killed or its stdin closes
"""


def test_a_held_lock_names_its_holder_and_is_free_again_after(tmp_path) -> None:
    lock = tmp_path / "run" / RUN_LOCK
    held = rf"the run is in use by pid {os.getpid()} \(since "
    with exclusive(lock, "the run"), pytest.raises(InUse, match=held), exclusive(lock, "the run"):
        pass
    with exclusive(lock, "the run"):  # released with the first holder
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path) -> None:
    lock = tmp_path / "out.tsv.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(InUse, match=f"pid {holder.pid}"), exclusive(lock, "the output"):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with exclusive(lock, "the output"):
        pass


def test_other_ranks_of_a_multi_process_run_share_the_folder(tmp_path, monkeypatch) -> None:
    run = tmp_path / "run"
    with run_lock(run):
        monkeypatch.setattr(rank_zero_only, "rank", 1)
        with run_lock(run):  # rank 1 works in rank 0's folder
            pass
        monkeypatch.setattr(rank_zero_only, "rank", 0)
        monkeypatch.setenv("NODE_RANK", "1")
        with run_lock(run):  # and so does the first process of another node
            pass


def test_a_second_training_of_a_run_stops_and_writes_nothing(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "twice.yaml").write_text("data: {src_lang: de, tgt_lang: en}")
    run = tmp_path / "runs" / "twice"
    with run_lock(run):
        assert train_main(["--config", "twice.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "runs/twice (a training run) is in use by pid" in err
    assert sorted(p.name for p in run.iterdir()) == [RUN_LOCK]  # no shards, checkpoints or config


def test_an_export_while_the_run_trains_stops(trained_run, monkeypatch, capsys) -> None:
    monkeypatch.chdir(trained_run.workdir)
    run = trained_run.workdir / "runs" / "smoke"
    with run_lock(run):
        assert train_main(["--config", str(trained_run.config), "--export-only"]) == 2
    assert "(a training run) is in use by pid" in capsys.readouterr().err


def test_an_export_of_a_missing_run_makes_no_folder(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "never.yaml").write_text("data: {src_lang: de, tgt_lang: en}")
    assert train_main(["--config", "never.yaml", "--export-only"]) == 2
    assert "no trained run" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_a_second_backtranslation_into_one_output_stops(tmp_path: Path, capsys) -> None:
    mono, out = tmp_path / "mono.en", tmp_path / "bt.tsv"
    mono.write_text("a dog runs\n", encoding="utf-8")
    with exclusive(tmp_path / "bt.tsv.lock", "the output"):
        status = backtranslate.main(["--model", str(tmp_path / "no-package"), "--input", str(mono), "--out", str(out)])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "bt.tsv (a back-translation) is in use by pid" in err
    assert not out.exists()
