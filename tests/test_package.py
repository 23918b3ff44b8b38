"""Export -> load gives identical outputs; damaged or foreign directories give clear errors."""

import dataclasses
import json

import pytest
import sentencepiece as spm
import torch

from training.config import load_config
from training.export import load_checkpoint_model
from translator import Translator
from translator.package import PackageError, load_package
from translator.padding import lengths_of, pad_ids
from translator.search import max_lengths, search

SENTENCES = ["Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee.", "", "Eine Frau liest ein Buch im Park."]


def test_translate_returns_aligned_results(trained_run, teacher_forced):
    """Alignment rows sum to 1, and each score and alignment is the teacher-forced one of its own output."""
    translator = Translator.load(trained_run.package)
    package = translator.package
    pieces = spm.SentencePieceProcessor(model_file=str(trained_run.package / "spm.model"))
    results = translator.translate(SENTENCES, beam_size=3)
    assert len(results) == len(SENTENCES)
    assert results[2].text == "" and results[2].alignment == []
    for sentence, result in zip(SENTENCES, results):
        if not sentence:
            continue
        assert len(result.alignment) == len(result.target_tokens)
        assert all(len(row) == len(result.source_tokens) for row in result.alignment)
        for row in result.alignment:
            assert sum(row) == pytest.approx(1.0, abs=1e-4)
        src = torch.tensor([package.tokenizer.encode_source(sentence)[0]])  # (1, S)
        tokens = [pieces.piece_to_id(p) for p in result.target_tokens]
        limit = int(max_lengths(torch.tensor([src.size(1)]), package.decode_cfg)[0])
        alpha = package.decode_cfg.length_penalty
        score, attention = teacher_forced([package.model], src, tokens, len(tokens) == limit, alpha)
        assert result.score == pytest.approx(score, abs=1e-4)
        torch.testing.assert_close(torch.tensor(result.alignment), attention, rtol=1e-4, atol=1e-5)


def test_export_then_load_gives_identical_outputs(trained_run):
    """The package reproduces the checkpoint it was exported from, bit for bit."""
    run_cfg = load_config(trained_run.workdir / "runs/smoke/config.yaml")
    original = load_checkpoint_model(run_cfg, trained_run.workdir / "runs/smoke/checkpoints/best.ckpt")
    package = load_package(trained_run.package)
    for name, tensor in original.state_dict().items():
        assert torch.equal(tensor, package.model.state_dict()[name]), name
    ids = [package.tokenizer.encode_source(s)[0] for s in SENTENCES if s]
    src, lengths = pad_ids(ids), lengths_of(ids)
    for beam in (1, 3):
        cfg = dataclasses.replace(package.decode_cfg, beam_size=beam)
        a = search(original, src, lengths, cfg)
        b = search(package.model, src, lengths, cfg)
        assert [h.tokens for h in a] == [h.tokens for h in b]
        assert [h.score for h in a] == [h.score for h in b]


def test_batch_equals_single_through_the_api(trained_run):
    translator = Translator.load(trained_run.package)
    batched = translator.translate(SENTENCES, beam_size=3)
    for sentence, result in zip(SENTENCES, batched):
        assert translator.translate([sentence], beam_size=3)[0].text == result.text


def test_package_loads_without_lightning(trained_run):
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['pytorch_lightning'] = None; sys.modules['lightning'] = None\n"
        "from translator import Translator\n"
        f"print(Translator.load({str(trained_run.package)!r}).translate(['Ein Hund.'])[0].text)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_weights_are_safetensors_not_pickle(trained_run):
    data = (trained_run.package / "model.safetensors").read_bytes()
    header_len = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_len])
    tied = {"tgt_embed.weight", "decoder.embed.weight", "decoder.output.weight", "encoder.embed.weight"}
    assert len(tied & set(header)) == 2, "source and target embeddings stored once each (tied output not repeated)"
    assert all(name == "__metadata__" or "dtype" in entry for name, entry in header.items())


def test_corrupt_weights_are_reported(package_copy):
    (package_copy / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(PackageError, match="model.safetensors"):
        Translator.load(package_copy)


def test_missing_file_is_reported(package_copy):
    (package_copy / "config.yaml").unlink()
    with pytest.raises(PackageError, match="config.yaml"):
        Translator.load(package_copy)


def test_foreign_directory_is_rejected(tmp_path):
    with pytest.raises(PackageError, match="not a model package"):
        Translator.load(tmp_path)
    with pytest.raises(PackageError, match="not a directory"):
        Translator.load(tmp_path / "nothing")


def test_foreign_metadata_is_rejected(package_copy):
    (package_copy / "metadata.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(PackageError, match="not a bilstm-attention-translator package"):
        Translator.load(package_copy)


def test_translate_rejects_bad_arguments(trained_run):
    translator = Translator.load(trained_run.package)
    with pytest.raises(TypeError):
        translator.translate("a string, not a list")
    with pytest.raises(ValueError, match="beam_size"):
        translator.translate(["Hallo"], beam_size=0)
