"""int8 dynamic quantization: same shapes and attention rules as fp32, nearly the same translations,
and packages exported with ``--int8`` are quantized when loaded."""

import json
import os

import pytest
import torch
import yaml
from torch import nn
from torch.ao.nn.quantized import dynamic as nnqd

from training.export import main as export_main
from translator import Translator
from translator.config import DecodeConfig, ModelConfig
from translator.model import Seq2Seq
from translator.package import load_package
from translator.padding import pad_ids
from translator.quantize import (
    KERNEL_CACHE_CAPACITY,
    KERNEL_CACHE_VARIABLES,
    QuantizedStepRNN,
    quantize_int8,
    resolve_quantization,
    to_bf16,
)
from translator.search import search
from translator.special import BOS_ID, PAD_ID

V = 40


def random_model(**overrides) -> Seq2Seq:
    torch.manual_seed(5)
    cfg = ModelConfig(
        src_vocab_size=V, tgt_vocab_size=V, emb_dim=16, hidden_size=32, dropout=0.0, emb_dropout=0.0, **overrides
    )
    return Seq2Seq(cfg).eval()


def val_sentences(trained_run, n: int = 40, lang: str = "de") -> list[str]:
    path = trained_run.workdir / "data" / "multi30k" / f"val.{lang}"
    return path.read_text(encoding="utf-8").splitlines()[:n]


@pytest.mark.parametrize(
    "overrides",
    [{}, {"cell": "gru", "input_feeding": False, "attention": "additive"}, {"dec_layers": 3, "attention": "dot"}],
)
def test_int8_copy_has_the_same_shapes_and_leaves_the_original(overrides, make_batch):
    model = random_model(**overrides)
    qmodel = quantize_int8(model)
    assert all(isinstance(layer, QuantizedStepRNN) for layer in qmodel.decoder.layers)
    assert isinstance(qmodel.decoder.output, nnqd.Linear) and isinstance(model.decoder.output, nn.Linear)
    assert isinstance(model.decoder.layers[0], (nn.LSTM, nn.GRU))  # the fp32 model is untouched
    src, src_len = make_batch([7, 3, 5], V, seed=11)
    tgt_in = torch.randint(4, V, (3, 6))
    with torch.inference_mode():
        logits, attn = model(src, src_len, tgt_in)
        qlogits, qattn = qmodel(src, src_len, tgt_in)
    assert qlogits.shape == logits.shape == (3, 6, V) and qattn.shape == attn.shape == (3, 6, 7)
    assert qlogits.dtype == torch.float32
    torch.testing.assert_close(qattn.sum(-1), torch.ones(3, 6))
    assert torch.all(qattn[~(src != 0).unsqueeze(1).expand_as(qattn)] == 0)  # padding gets no weight


@pytest.mark.parametrize("beam_size", [1, 4])
def test_int8_search_alignment_rows_sum_to_one(beam_size, make_batch):
    qmodel = quantize_int8(random_model())
    src, src_len = make_batch([6, 2, 9], V, seed=11)
    for hyp, n_src in zip(search(qmodel, src, src_len, DecodeConfig(beam_size=beam_size)), src_len.tolist()):
        assert hyp.attention.shape == (len(hyp.tokens), n_src)
        if hyp.tokens:
            torch.testing.assert_close(hyp.attention.sum(1), torch.ones(len(hyp.tokens)))


def test_bf16_copy_leaves_the_original_and_stays_close_to_fp32(make_batch):
    model = random_model()
    bmodel = to_bf16(model)
    assert {p.dtype for p in bmodel.parameters()} == {torch.bfloat16}
    assert {p.dtype for p in model.parameters()} == {torch.float32}  # the fp32 model is untouched
    assert bmodel.decoder.output.weight is bmodel.tgt_embed.weight  # still one tied Parameter
    src, src_len = make_batch([7, 3, 5], V, seed=11)
    tgt_in = torch.randint(4, V, (3, 6))
    with torch.inference_mode():
        logits, attn = model(src, src_len, tgt_in)
        blogits, battn = bmodel(src, src_len, tgt_in)
    torch.testing.assert_close(blogits.float(), logits, atol=5e-2, rtol=5e-2)
    torch.testing.assert_close(battn.float(), attn, atol=2e-2, rtol=5e-2)


def test_bf16_bounds_the_kernel_caches_and_keeps_a_users_setting(monkeypatch):
    monkeypatch.delenv(KERNEL_CACHE_VARIABLES[0], raising=False)
    monkeypatch.setenv(KERNEL_CACHE_VARIABLES[1], "3")  # the user's own choice stays
    to_bf16(random_model())
    assert os.environ[KERNEL_CACHE_VARIABLES[0]] == str(KERNEL_CACHE_CAPACITY)
    assert os.environ[KERNEL_CACHE_VARIABLES[1]] == "3"


@pytest.mark.parametrize("beam_size", [1, 4])
def test_bf16_search_gives_fp32_alignments_whose_rows_sum_to_one(beam_size, make_batch):
    bmodel = to_bf16(random_model())
    src, src_len = make_batch([6, 2, 9], V, seed=11)
    for hyp, n_src in zip(search(bmodel, src, src_len, DecodeConfig(beam_size=beam_size)), src_len.tolist()):
        assert hyp.attention.dtype == torch.float32 and hyp.attention.shape == (len(hyp.tokens), n_src)
        if hyp.tokens:
            torch.testing.assert_close(hyp.attention.sum(1), torch.ones(len(hyp.tokens)), atol=1e-2, rtol=0)


def test_resolve_quantization():
    assert resolve_quantization("bf16", {}) == "bf16"
    assert resolve_quantization(None, {}) == "none"
    assert resolve_quantization(None, {"quantization": "int8"}) == "int8"
    assert resolve_quantization("none", {"quantization": "int8"}) == "none"
    assert resolve_quantization("int8", {}) == "int8"
    assert resolve_quantization(None, {"quantization": "int8"}, device_type="cuda") == "none"
    with pytest.raises(ValueError, match="unknown quantization"):
        resolve_quantization("int4", {})


@pytest.mark.parametrize(("scheme", "beam_size"), [("int8", 1), ("int8", 3), ("bf16", 1), ("bf16", 3)])
def test_reduced_precision_translations_mostly_equal_fp32(trained_run, scheme, beam_size):
    """On a trained model most int8 and bf16 translations are word for word the fp32 ones."""
    sentences = val_sentences(trained_run)
    fp32 = Translator.load(trained_run.package).translate(sentences, beam_size=beam_size)
    reduced = Translator.load(trained_run.package, quantize=scheme).translate(sentences, beam_size=beam_size)
    same = sum(a.text == b.text for a, b in zip(fp32, reduced))
    assert same > len(sentences) // 2
    for result in reduced:
        assert len(result.alignment) == len(result.target_tokens)
        for row in result.alignment:
            assert len(row) == len(result.source_tokens) and sum(row) == pytest.approx(1.0, abs=1e-4)


def test_int8_predicts_the_same_next_pieces_as_fp32(trained_run):
    """Teacher-forced on validation pairs, the int8 model's best next piece is mostly the fp32 one."""
    package = load_package(trained_run.package)
    tok = package.tokenizer
    pairs = zip(val_sentences(trained_run), val_sentences(trained_run, lang="en"))
    examples = [(tok.encode_source(s)[0], [BOS_ID, *tok.encode_target(t)]) for s, t in pairs]
    src = pad_ids([s for s, _ in examples])
    tgt_in = pad_ids([t for _, t in examples])
    src_len = torch.tensor([len(s) for s, _ in examples])
    with torch.inference_mode():
        fp32, _ = package.model(src, src_len, tgt_in)
        int8, _ = quantize_int8(package.model)(src, src_len, tgt_in)
    real = tgt_in != PAD_ID
    agree = (fp32.argmax(-1) == int8.argmax(-1))[real]
    assert 2 * int(agree.sum()) > agree.numel()


def test_metadata_quantization_is_applied_at_load(package_copy):
    assert Translator.load(package_copy).quantization == "none"
    meta_path = package_copy / "metadata.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "quantization": "int8"}), encoding="utf-8")
    translator = Translator.load(package_copy)
    assert translator.quantization == "int8"
    assert isinstance(translator.package.model.decoder.layers[0], QuantizedStepRNN)
    assert Translator.load(package_copy, quantize="none").quantization == "none"
    assert translator.translate(["Ein Hund läuft."], beam_size=2)[0].text


def test_export_int8_flag_writes_the_metadata(trained_run, tmp_path, monkeypatch):
    monkeypatch.chdir(trained_run.workdir)
    out = tmp_path / "int8-package"
    code = export_main(
        [
            "--config",
            "runs/smoke/config.yaml",
            "--checkpoint",
            "runs/smoke/checkpoints/best.ckpt",
            "--out",
            str(out),
            "--int8",
        ]
    )
    assert code == 0
    assert json.loads((out / "metadata.json").read_text(encoding="utf-8"))["quantization"] == "int8"
    assert Translator.load(out).quantization == "int8"


def test_export_errors_are_one_line(trained_run, tmp_path, monkeypatch, capsys):
    """The raw config (vocabulary sizes unresolved) exports; a file that is not a checkpoint, or a checkpoint
    of another model shape, is one error line and exit status 2 with nothing written."""
    monkeypatch.chdir(trained_run.workdir)
    ckpt = "runs/smoke/checkpoints/best.ckpt"
    assert export_main(["--config", str(trained_run.config), "--checkpoint", ckpt, "--out", str(tmp_path / "ok")]) == 0
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint")
    other = tmp_path / "smoke.yaml"  # same name, so the same run folder, but a wider model
    cfg = yaml.safe_load(trained_run.config.read_text(encoding="utf-8"))
    cfg["model"]["emb_dim"] = 2 * cfg["model"].get("emb_dim", 32)
    other.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    capsys.readouterr()
    for config, checkpoint, message in (
        (trained_run.config, junk, "is not a Lightning checkpoint"),
        (other, ckpt, "does not fit the config's model: size mismatch"),
    ):
        args = ["--config", str(config), "--checkpoint", str(checkpoint), "--out", str(tmp_path / "x")]
        assert export_main(args) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1, err
        assert not (tmp_path / "x").exists()
