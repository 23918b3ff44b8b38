"""The one-command alignment recipe on a tiny scale: two tiny guided models trained on a slice of Multi30k plus
the pairs to align; its links are those of `translator align` with both packages; AER against hand-made gold;
a second run repeats no step; bad input stops it before anything is written."""

from __future__ import annotations

import gzip
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import yaml

from experiments.alignment_recipe import main
from experiments.eflomal_baseline import main as eflomal_main
from experiments.record import RESULTS
from tests.conftest import require_mirror
from training.export import VAL_BEAM_KEY
from translator.alignment.aligner import read_links_file
from translator.alignment.links import alignment_error_rate, parse_links
from translator.cli import main as translator_main

PAIRS = [
    ("a dog runs on the grass .", "un chien court sur l' herbe ."),
    ("two men are playing soccer .", "deux hommes jouent au football ."),
    ("a woman is sitting on a bench .", "une femme est assise sur un banc ."),
]
GOLD = ["1-1 2-2 3-3 4-4 5-5 6-6 7-7", "1-1 2-2 3p3 4-3 5p4 5-5 6-6", "1-1 2-2 3-3 4-4 5-5 6-6 7-7 8-8"]
MORE = [("a cat sleeps .", "un chat dort ."), ("children play .", "des enfants jouent .")]  # trained on, not scored


def template(src: str, tgt: str) -> dict:
    """A tiny guided config in the recipe's form (data.train and the links file are replaced by it)."""
    return {
        "data": {
            "src_lang": src,
            "tgt_lang": tgt,
            "train": {"src": f"placeholder.{src}", "tgt": f"placeholder.{tgt}"},
            "valid": {"src": f"multi30k/val.{src}", "tgt": f"multi30k/val.{tgt}"},
            "vocab_size": 250,
            "alignment_words": "moses",
            "alignment_links": "placeholder.links",
        },
        "model": {"emb_dim": 16, "hidden_size": 32, "enc_layers": 1, "dec_layers": 1, "dropout": 0.0},
        "train": {
            "batch_tokens": 1000,
            "lr": 0.005,
            "warmup_steps": 10,
            "max_epochs": 1,
            "guided_alignment_weight": 0.5,
            "guided_unlinked": "uniform",
            "precision": "32-true",
            "accelerator": "cpu",
            "threads": 1,
        },  # fmt: skip
        "decode": {"beam_size": 1, "max_len_ratio": 1.2, "max_len_offset": 5},
    }


@pytest.fixture(scope="module")
def recipe_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory with 400 Multi30k en-fr pairs, 20 val pairs, the pairs and gold, two templates."""
    mirror = require_mirror()
    work = tmp_path_factory.mktemp("recipe")
    (work / "multi30k").mkdir()
    for split, n in (("train", 400), ("val", 20)):
        for lang in ("en", "fr"):
            with gzip.open(mirror / f"{split}.{lang}.gz", "rt", encoding="utf-8") as handle:
                lines = [next(handle) for _ in range(n)]
            (work / "multi30k" / f"{split}.{lang}").write_text("".join(lines), encoding="utf-8")
    (work / "pairs.txt").write_text("".join(f"{en} ||| {fr}\n" for en, fr in PAIRS), encoding="utf-8")
    (work / "gold.txt").write_text("\n".join(GOLD) + "\n", encoding="utf-8")
    (work / "more.txt").write_text("".join(f"{en} ||| {fr}\n" for en, fr in MORE), encoding="utf-8")
    for src, tgt in (("en", "fr"), ("fr", "en")):
        (work / f"{src}-{tgt}.yaml").write_text(yaml.safe_dump(template(src, tgt)), encoding="utf-8")
    return work


def recipe(*extra: str) -> list[str]:
    args = ["--pairs", "pairs.txt", "--name", "tiny", "--data-dir", "multi30k", "--no-record"]
    return args + ["--forward-template", "en-fr.yaml", "--backward-template", "fr-en.yaml", *extra]


@pytest.fixture(scope="module")
def finished(recipe_dir: Path) -> tuple[Path, str]:
    """The recipe run once with gold links: the working directory and what it printed."""
    results_before = RESULTS.read_bytes() if RESULTS.exists() else b""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(recipe_dir)
        out = io.StringIO()
        with redirect_stdout(out):
            code = main(recipe("--gold", "gold.txt", "--more-pairs", "more.txt"))
    assert code == 0
    assert (RESULTS.read_bytes() if RESULTS.exists() else b"") == results_before  # --no-record: no row appended
    return recipe_dir, out.getvalue()


def test_the_corpus_is_multi30k_followed_by_the_pairs_then_the_more_pairs(finished) -> None:
    work, _ = finished
    english = (work / "runs/tiny-corpus/train.en").read_text(encoding="utf-8").splitlines()
    assert len(english) == 400 + len(PAIRS) + len(MORE)
    assert english[400:] == [en for en, _ in PAIRS + MORE]


def test_each_direction_is_trained_from_its_template_on_that_corpus(finished) -> None:
    work, _ = finished
    for src, tgt in (("en", "fr"), ("fr", "en")):
        config = yaml.safe_load((work / f"runs/tiny-configs/tiny-{src}-{tgt}.yaml").read_text(encoding="utf-8"))
        assert config["data"]["train"] == {
            "src": f"runs/tiny-corpus/train.{src}",
            "tgt": f"runs/tiny-corpus/train.{tgt}",
        }
        assert config["data"]["alignment_links"] == f"runs/tiny-{src}-{tgt}/train.links"
        assert config["model"]["hidden_size"] == 32 and config["train"]["guided_unlinked"] == "uniform"
        links = (work / f"runs/tiny-{src}-{tgt}/train.links").read_text(encoding="utf-8").splitlines()
        assert len(links) == 400 + len(PAIRS) + len(MORE)
        assert (
            json.loads((work / f"artifacts/tiny-{src}-{tgt}/metadata.json").read_text())["name"] == f"tiny-{src}-{tgt}"
        )


def test_the_links_are_those_of_translator_align_with_both_packages(finished, monkeypatch, capsys) -> None:
    work, _ = finished
    monkeypatch.chdir(work)
    capsys.readouterr()
    code = translator_main(["align", "--model", "artifacts/tiny-en-fr", "--reverse-model", "artifacts/tiny-fr-en",
                            "--symmetrise", "mean", "--rule", "mutual", "--input", "pairs.txt"])  # fmt: skip
    assert code == 0
    assert (work / "runs/tiny-links.txt").read_text(encoding="utf-8") == capsys.readouterr().out
    code = translator_main(["align", "--model", "artifacts/tiny-en-fr", "--reverse-model", "artifacts/tiny-fr-en",
                            "--symmetrise", "mean", "--rule", "mutual", "--input", "more.txt"])  # fmt: skip
    assert code == 0
    assert (work / "runs/tiny-more-links.txt").read_text(encoding="utf-8") == capsys.readouterr().out


def test_eflomal_writes_the_links_of_every_pairs_file(finished, tmp_path) -> None:
    """The baseline over Multi30k + dev + more pairs, its intersection links one Pharaoh line a pair."""
    work, _ = finished
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    (gold_dir / "dev.src-tgt").write_bytes((work / "pairs.txt").read_bytes())
    (gold_dir / "dev.gold").write_bytes((work / "gold.txt").read_bytes())
    args = ["--data-dir", str(work / "multi30k"), "--gold-dir", str(gold_dir), "--more-pairs", str(work / "more.txt")]
    assert eflomal_main([*args, "--links-out", str(tmp_path / "links"), "--no-record"]) == 0
    for stem, pairs in (("dev", PAIRS), ("more", MORE)):
        lines = (tmp_path / "links" / f"{stem}.eflomal.links").read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(pairs)
        for line, (en, fr) in zip(lines, pairs):
            links = parse_links(line).sure
            assert all(i < len(en.split()) and j < len(fr.split()) for i, j in links)


def test_the_printed_aer_is_that_of_the_links_file_against_the_gold(finished) -> None:
    work, printed = finished
    gold = [parse_links(line, one_indexed=True) for line in GOLD]
    ours = alignment_error_rate(gold, [g.sure for g in read_links_file(work / "runs/tiny-links.txt")])
    row = next(line for line in printed.splitlines() if line.startswith("| attention"))
    assert row.split("|")[2].strip() == f"{100 * ours.aer:.2f}"
    assert any(line.startswith("| eflomal intersection |") for line in printed.splitlines())


def test_a_second_run_repeats_no_step(finished, monkeypatch, capfd) -> None:
    work, _ = finished
    monkeypatch.chdir(work)
    made = [work / "runs/tiny-en-fr/train.links", work / "runs/tiny-corpus/train.en"]
    made += [work / f"artifacts/tiny-{pair}/model.safetensors" for pair in ("en-fr", "fr-en")]
    before = [path.stat().st_mtime_ns for path in made]
    capfd.readouterr()
    assert main(recipe()) == 0
    assert capfd.readouterr().out.count("trained and exported already") == 2
    assert [path.stat().st_mtime_ns for path in made] == before


def test_a_package_whose_scoring_was_killed_is_exported_again_not_retrained(finished, monkeypatch, capfd) -> None:
    work, _ = finished
    monkeypatch.chdir(work)
    metadata = work / "artifacts/tiny-fr-en/metadata.json"
    meta = json.loads(metadata.read_text(encoding="utf-8"))
    del meta["scores"][VAL_BEAM_KEY]
    metadata.write_text(json.dumps(meta), encoding="utf-8")
    capfd.readouterr()
    assert main(recipe()) == 0
    printed = capfd.readouterr()
    assert printed.out.count("trained and exported already") == 1  # en-fr
    assert printed.err.count("has finished training under these settings") == 1  # fr-en: exported, not trained
    assert VAL_BEAM_KEY in json.loads(metadata.read_text(encoding="utf-8"))["scores"]


@pytest.mark.parametrize(
    ("pairs", "gold", "message"),
    [
        ("a dog . un chien .\n", None, "separators"),
        ("a dog . ||| un chien .\n", "1-1 2-2\n3-3\n", "lines but there are 1"),
        ("a dog . ||| un chien .\n", "1-9\n", "1"),
        (b"a dog \xff ||| un chien .\n", None, "UTF-8"),
    ],
)
def test_bad_input_is_one_error_line_and_nothing_written(tmp_path, monkeypatch, capsys, pairs, gold, message) -> None:
    monkeypatch.chdir(tmp_path)
    Path("p.txt").write_bytes(pairs if isinstance(pairs, bytes) else pairs.encode())
    args = ["--pairs", "p.txt", "--name", "bad", "--no-record"]
    if gold is not None:
        Path("g.txt").write_text(gold, encoding="utf-8")
        args += ["--gold", "g.txt"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and message in err
    assert not Path("runs").exists() and not Path("artifacts").exists()


def test_templates_of_the_wrong_direction_are_refused_before_anything_is_written(
    recipe_dir, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    Path("p.txt").write_text("a dog . ||| un chien .\n", encoding="utf-8")
    forward, backward = str(recipe_dir / "en-fr.yaml"), str(recipe_dir / "fr-en.yaml")
    args = ["--pairs", "p.txt", "--no-record", "--forward-template", backward, "--backward-template", forward]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "the recipe needs en->fr" in err
    assert not Path("runs").exists()


def test_the_cheap_path_continues_the_general_packages_by_its_rule(finished, monkeypatch) -> None:  # noqa: ANN001
    """--continue-from: each direction starts from a package (here the from-scratch run's), with its pieces, for
    --epochs epochs at half the template's learning rate after 100 warm-up steps, and writes its links."""
    work, _ = finished
    monkeypatch.chdir(work)
    general = ["artifacts/tiny-en-fr", "artifacts/tiny-fr-en"]
    cheap = ["--pairs", "pairs.txt", "--name", "cheap", "--data-dir", "multi30k", "--no-record"]
    cheap += ["--forward-template", "en-fr.yaml", "--backward-template", "fr-en.yaml", "--epochs", "1"]
    assert main([*cheap, "--continue-from", *general]) == 0
    for (src, tgt), start in zip((("en", "fr"), ("fr", "en")), general):
        config = yaml.safe_load((work / f"runs/cheap-configs/cheap-{src}-{tgt}.yaml").read_text(encoding="utf-8"))
        assert config["train"]["init_from"] == start and config["train"]["max_epochs"] == 1
        assert config["train"]["lr"] == 0.0025 and config["train"]["warmup_steps"] == 100
        assert config["train"]["guided_alignment_weight"] == template(src, tgt)["train"]["guided_alignment_weight"]
        spm = (work / f"runs/cheap-{src}-{tgt}/spm/spm.model").read_bytes()
        assert spm == (work / start / "spm.model").read_bytes()
    assert len((work / "runs/cheap-links.txt").read_text(encoding="utf-8").splitlines()) == len(PAIRS)


def test_upsample_draws_each_new_pair_as_often_as_from_scratch(finished, monkeypatch) -> None:  # noqa: ANN001
    """--upsample: Multi30k train at --base-weight, then the pairs' text alone at the template's epochs / --epochs;
    --guided-weight replaces the template's guided-alignment weight, --dropout both dropouts of the model."""
    work, _ = finished
    monkeypatch.chdir(work)
    cheap = ["--pairs", "pairs.txt", "--name", "up", "--data-dir", "multi30k", "--no-record", "--upsample"]
    cheap += ["--epochs", "1", "--base-weight", "0.5", "--guided-weight", "2.0", "--dropout", "0.25"]
    template_epochs = template("en", "fr")["train"]["max_epochs"] * 4  # a longer template: weight 4
    for src, tgt in (("en", "fr"), ("fr", "en")):
        longer = template(src, tgt)
        longer["train"]["max_epochs"] = template_epochs
        (work / f"long-{src}-{tgt}.yaml").write_text(yaml.safe_dump(longer), encoding="utf-8")
    cheap += ["--forward-template", "long-en-fr.yaml", "--backward-template", "long-fr-en.yaml"]
    assert main([*cheap, "--continue-from", "artifacts/tiny-en-fr", "artifacts/tiny-fr-en"]) == 0
    for src, tgt in (("en", "fr"), ("fr", "en")):
        config = yaml.safe_load((work / f"runs/up-configs/up-{src}-{tgt}.yaml").read_text(encoding="utf-8"))
        base, new = config["data"]["train"]
        assert base == {"files": {"src": f"multi30k/train.{src}", "tgt": f"multi30k/train.{tgt}"}, "weight": 0.5,
                        "tag": False}  # fmt: skip
        assert new["files"]["src"] == f"runs/up-corpus/new.{src}" and new["weight"] == template_epochs
        assert config["train"]["guided_alignment_weight"] == 2.0
        assert (config["model"]["dropout"], config["model"]["emb_dropout"]) == (0.25, 0.25)
        assert template(src, tgt)["model"]["dropout"] != 0.25  # changed from the template's
        assert (work / f"runs/up-{src}-{tgt}/finished.json").is_file()
    new_english = (work / "runs/up-corpus/new.en").read_text(encoding="utf-8").splitlines()
    assert new_english == [en.strip() for en, _ in PAIRS]
    assert len((work / "runs/up-links.txt").read_text(encoding="utf-8").splitlines()) == len(PAIRS)


def test_new_weight_replaces_the_new_pairs_weight(finished, monkeypatch) -> None:  # noqa: ANN001
    """--new-weight W: the pairs' text drawn W times an epoch (here no captions at all); it needs --upsample and
    a positive weight, checked before anything is written."""
    work, _ = finished
    monkeypatch.chdir(work)
    cheap = ["--pairs", "pairs.txt", "--data-dir", "multi30k", "--no-record", "--epochs", "1"]
    cheap += ["--forward-template", "en-fr.yaml", "--backward-template", "fr-en.yaml"]
    cheap += ["--continue-from", "artifacts/tiny-en-fr", "artifacts/tiny-fr-en"]
    for bad, name in ((["--new-weight", "3"], "bad1"), (["--upsample", "--new-weight", "0"], "bad2")):
        assert main([*cheap, *bad, "--name", name]) == 2
        assert not (work / f"runs/{name}-corpus").exists()
    assert main([*cheap, "--name", "nw", "--upsample", "--base-weight", "0", "--new-weight", "3"]) == 0
    for src, tgt in (("en", "fr"), ("fr", "en")):
        config = yaml.safe_load((work / f"runs/nw-configs/nw-{src}-{tgt}.yaml").read_text(encoding="utf-8"))
        base, new = config["data"]["train"]
        assert base["weight"] == 0 and new["weight"] == 3
        assert (work / f"runs/nw-{src}-{tgt}/finished.json").is_file()
