"""The batching benchmark: the fitted line and the ratio bound on cases with known answers, and a run on a
tiny package whose report is consistent with its own rows."""

from __future__ import annotations

import json

import pytest
from tiny_package import build_tiny_package

from bench.bench_batching import fit_line, main, ratio_bound


def test_fit_line_recovers_the_fixed_and_marginal_cost_of_an_exact_line():
    batches = [1, 2, 4, 8, 16]
    fixed, marginal = fit_line(batches, [30.0 + 7.5 * b for b in batches])
    assert fixed == pytest.approx(30.0) and marginal == pytest.approx(7.5)


def test_fit_line_needs_two_batch_sizes():
    with pytest.raises(ValueError, match="two different"):
        fit_line([4, 4], [10.0, 11.0])


def test_ratio_bound_is_workers_times_the_gain_of_the_largest_batch():
    per_second = {1: 10.0, 4: 20.0, 32: 50.0}
    assert ratio_bound(per_second, per_request=4, workers=2) == pytest.approx(5.0)
    assert ratio_bound(per_second, per_request=1, workers=1) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="per-request"):
        ratio_bound(per_second, per_request=3, workers=2)


def test_a_run_reports_every_batch_and_a_bound_made_from_its_own_rows(tmp_path, capsys):
    package = build_tiny_package(tmp_path / "package", tmp_path / "spm")
    out = tmp_path / "batching.json"
    argv = ["--model", str(package), "--quantize", "none", "--batches", "1", "2", "4", "--sentences", "8"]
    assert main([*argv, "--repeats", "1", "--per-request", "2", "--workers", "3", "--out", str(out)]) == 0
    (report,) = json.loads(out.read_text(encoding="utf-8"))["packages"]
    assert report["pair"] == "de-en" and set(report["batches"]) == {"1", "2", "4"}
    rows = report["batches"]
    assert all(row["ms_per_call"] > 0 and row["sentences_per_s"] > 0 for row in rows.values())
    expected = 3 * rows["4"]["sentences_per_s"] / rows["2"]["sentences_per_s"]
    assert report["ratio_bound"] == pytest.approx(expected, abs=0.02)
    assert "ratio <=" in capsys.readouterr().out


def test_a_missing_package_is_one_error_line(tmp_path, capsys):
    assert main(["--model", str(tmp_path / "nope"), "--batches", "1", "4", "--out", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err
    assert not (tmp_path / "x.json").exists()


def test_per_request_must_be_a_measured_batch(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", "x", "--batches", "1", "8", "--per-request", "4"])
    assert exit_info.value.code == 2 and "--per-request" in capsys.readouterr().err
