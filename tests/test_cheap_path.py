"""The cheap-path study on a tiny scale: two tiny general packages, the recipe from scratch and continued from
them, two samples each; the table's figures are those of the runs' links and finished records; the verdict
is checked on figures made up so that the answer is known."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import yaml

from experiments.alignment_recipe import parser as recipe_parser
from experiments.cheap_path import Arm, Measured, arms, main, rule_argv, verdict
from experiments.cheap_path import parser as study_parser
from experiments.cheap_rule import continued_rule
from tests.test_alignment_recipe import GOLD, recipe_dir, template  # noqa: F401 (recipe_dir: a fixture)
from translator.alignment.aligner import read_links_file
from translator.alignment.links import alignment_error_rate, parse_links


def measured(path: str, aer: float, seconds: float) -> Measured:
    return Measured(Arm(path, 1, path), aer, 0.0, 0.0, seconds)


def test_arms_give_every_first_sample_then_the_cheap_ones_then_from_scratch_named_apart() -> None:
    assert [(a.path, a.sample, a.name, a.epochs) for a in arms("w", [1, 4], 3)] == [
        ("scratch", 1, "w", None),
        ("cont1", 1, "w-cont1", 1),
        ("cont4", 1, "w-cont4", 4),
        ("cont1", 2, "w-cont1-s2", 1),
        ("cont4", 2, "w-cont4-s2", 4),
        ("cont1", 3, "w-cont1-s3", 1),
        ("cont4", 3, "w-cont4-s3", 4),
        ("scratch", 2, "w-s2", None),
        ("scratch", 3, "w-s3", None),
    ]


@pytest.mark.parametrize(
    ("cheap", "met"),
    [
        ([measured("c", 15.5, 100), measured("c", 15.9, 100)], True),  # +0.7 AER at 0.1 of the time
        ([measured("c", 16.0, 100), measured("c", 16.2, 100)], False),  # +1.1 AER
        ([measured("c", 14.0, 300), measured("c", 14.0, 300)], False),  # better AER, but 0.3 of the time
    ],
)
def test_the_verdict_compares_sample_means(cheap: list[Measured], met: bool) -> None:
    scratch = [measured("scratch", 15.0, 900), measured("scratch", 15.0, 1100)]
    assert verdict(scratch, cheap, within=1.0, time_share=0.25)[0] is met


@pytest.fixture(scope="module")
def study(recipe_dir: Path) -> tuple[Path, str]:  # noqa: F811
    """The study run once: tiny general packages on the 400 Multi30k pairs, 1 continued epoch, 2 samples."""
    for src, tgt in (("en", "fr"), ("fr", "en")):
        config = template(src, tgt)
        config["data"]["train"] = {"src": f"multi30k/train.{src}", "tgt": f"multi30k/train.{tgt}"}
        config["data"]["alignment_links"] = f"runs/general-{src}-{tgt}/train.links"
        (recipe_dir / f"general-{src}-{tgt}.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    args = ["--pairs", "pairs.txt", "--gold", "gold.txt", "--name", "study", "--data-dir", "multi30k"]
    args += ["--forward-template", "en-fr.yaml", "--backward-template", "fr-en.yaml", "--no-record"]
    args += ["--general", "general-en-fr.yaml", "general-fr-en.yaml", "--epochs", "1", "--samples", "2"]
    args += ["--lr-scale", "2.0", "--warmup", "7"]  # the cheap rows' rule
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(recipe_dir)
        out = io.StringIO()
        with redirect_stdout(out):
            assert main(args) == 0
    return recipe_dir, out.getvalue()


def test_the_general_packages_never_see_the_pairs(study) -> None:  # noqa: ANN001
    work, _ = study
    for direction in ("en-fr", "fr-en"):
        links = (work / f"runs/general-{direction}/train.links").read_text(encoding="utf-8").splitlines()
        assert len(links) == 400 and (work / f"artifacts/general-{direction}/metadata.json").is_file()


def test_each_sample_after_the_first_trains_with_the_next_seed(study) -> None:  # noqa: ANN001
    work, _ = study
    for run, seed in (("study", 1234), ("study-s2", 1235), ("study-cont1", 1234), ("study-cont1-s2", 1235)):
        for direction in ("en-fr", "fr-en"):
            config = yaml.safe_load((work / f"runs/{run}-configs/{run}-{direction}.yaml").read_text())
            assert config["train"]["seed"] == seed
            assert (config["train"]["init_from"] is not None) == ("cont" in run)


def test_the_rule_options_reach_the_cheap_rows_alone(study) -> None:  # noqa: ANN001
    work, _ = study
    for run, lr, warmup in (("study", 0.005, 10), ("study-s2", 0.005, 10), ("study-cont1", 0.01, 7)):
        for direction in ("en-fr", "fr-en"):
            config = yaml.safe_load((work / f"runs/{run}-configs/{run}-{direction}.yaml").read_text())
            assert (config["train"]["lr"], config["train"]["warmup_steps"]) == (pytest.approx(lr), warmup)


def test_rule_argv_gives_the_recipe_the_same_rule() -> None:
    """Every rule option of the study reaches the recipe's parser unchanged (so each cheap row trains by it)."""
    given = ["--upsample", "--base-weight", "0", "--new-weight", "50", "--lr-scale", "2", "--warmup", "30"]
    given += ["--guided-weight", "1.5", "--dropout", "0"]
    study = study_parser().parse_args(["--pairs", "p", "--gold", "g", *given])
    recipe = recipe_parser().parse_args(["--pairs", "p", *rule_argv(study)])
    rule = continued_rule(recipe, "g", 2)
    assert rule == continued_rule(study, "g", 2)
    assert (rule.new_weight, rule.guided_weight, rule.dropout) == (50, 1.5, 0.0)


def test_cheap_rows_take_a_label() -> None:
    assert [a.name for a in arms("w", [1], 1, "nw")] == ["w", "w-nw1"]


def test_each_row_is_the_aer_of_its_links_and_the_time_of_both_directions(study) -> None:  # noqa: ANN001
    work, printed = study
    gold = [parse_links(line, one_indexed=True) for line in GOLD]
    rows = [line.split("|")[1:-1] for line in printed.splitlines() if line.startswith("| scratch |")]
    rows += [line.split("|")[1:-1] for line in printed.splitlines() if line.startswith("| cont1 |")]
    runs = [cells for cells in rows if len(cells) == 7]
    assert [cells[2].strip() for cells in runs] == ["study", "study-s2", "study-cont1", "study-cont1-s2"]
    for cells in runs:
        run = cells[2].strip()
        ours = alignment_error_rate(gold, [g.sure for g in read_links_file(work / f"runs/{run}-links.txt")])
        finished = [json.loads((work / f"runs/{run}-{d}/finished.json").read_text()) for d in ("en-fr", "fr-en")]
        seconds = sum(record["train_seconds"] for record in finished)
        assert cells[3].strip() == f"{100 * ours.aer:.2f}" and cells[6].strip() == f"{seconds:.0f}"
    means = [cells for cells in rows if len(cells) == 5]
    assert [c[0].strip() for c in means] == ["scratch", "cont1"] and "the goal" in means[1][4]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pairs", "p.txt"], "--gold are required"),
        (["--general-only", "--samples", "0"], "must be >= 1"),
        (["--general-only", "--new-weight", "50"], "--new-weight needs --upsample"),
        (["--general-only", "--dropout", "1.5"], "dropout must be in [0, 1)"),
    ],
)
def test_bad_options_are_a_usage_error(args: list[str], message: str, capsys) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "p.txt"),  # no pairs file
        ({"p.txt": b"a dog . ||| un chien .\n", "g.txt": b"1-1\n2-2\n"}, "lines but there are 1"),
        ({"p.txt": b"a dog \xff ||| un chien .\n", "g.txt": b"1-1\n"}, "UTF-8"),
    ],
)
def test_bad_pairs_or_gold_stop_it_before_any_training(files, message, tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    for name, content in files.items():
        Path(name).write_bytes(content)
    assert main(["--pairs", "p.txt", "--gold", "g.txt"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and message in err
    assert not Path("runs").exists() and not Path("artifacts").exists()
