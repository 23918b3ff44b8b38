"""Link agreement of two packages: a package agrees fully with itself, two different ones partly, and a
package of another pair is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_glossary_eval import write_word_pairs
from tiny_package import build_tiny_package

from experiments.link_agreement import agreement
from experiments.link_agreement import main as link_agreement


def test_agreement_is_precision_and_recall_against_the_old_links() -> None:
    assert agreement([{(0, 0), (1, 1)}, {(0, 1)}], [{(0, 0)}, {(0, 1), (1, 1)}]) == (2 / 3, 2 / 3)


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("agreement")
    build_tiny_package(root / "a", root / "spm")
    build_tiny_package(root / "b", root / "spm-b", seed=5)
    build_tiny_package(root / "enfr", root / "spm-fr", pair=("en", "fr"), seed=1)
    write_word_pairs(root / "data")
    return root


def test_a_package_agrees_with_itself_and_partly_with_another(packages: Path, capsys) -> None:  # noqa: ANN001
    results = packages / "results.jsonl"
    common = ["--data-dir", str(packages / "data"), "--sentences", "20", "--results", str(results)]
    assert link_agreement(["--model", str(packages / "a"), "--against", str(packages / "a"), *common]) == 0
    assert link_agreement(["--model", str(packages / "b"), "--against", str(packages / "a"), *common]) == 0
    same, other = (json.loads(line) for line in results.read_text(encoding="utf-8").splitlines())
    assert same["precision"] == same["recall"] == 1.0 and other["precision"] < 1.0
    assert link_agreement(["--model", str(packages / "enfr"), "--against", str(packages / "a"), *common]) == 2
    assert "does not translate en->fr" in capsys.readouterr().err
