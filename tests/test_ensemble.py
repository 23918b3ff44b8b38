"""Ensemble decoding: an ensemble of identical models decodes like one, beam 1 equals greedy, the step
averages member log-probabilities and attention, incompatible members are refused."""

import copy
import dataclasses
import json
import shutil

import pytest
import torch

from translator.config import DecodeConfig, ModelConfig
from translator.ensemble import Ensemble
from translator.model import Seq2Seq
from translator.package import PackageError
from translator.search import beam_search, max_lengths, search
from translator.special import BOS_ID
from translator.translate import Translator

V = 30


def make_model(seed: int, **overrides) -> Seq2Seq:
    torch.manual_seed(seed)
    cfg = ModelConfig(
        src_vocab_size=V, tgt_vocab_size=V, emb_dim=16, hidden_size=32, dropout=0.0, emb_dropout=0.0, **overrides
    )
    return Seq2Seq(cfg).eval()


@pytest.mark.parametrize("beam_size", [1, 4])
def test_ensemble_of_copies_decodes_like_the_model(beam_size, make_batch):
    model = make_model(1)
    ensemble = Ensemble([model, copy.deepcopy(model)]).eval()
    src, src_len = make_batch([6, 3, 8], V, seed=5)
    single = search(model, src, src_len, DecodeConfig(beam_size=beam_size))
    both = search(ensemble, src, src_len, DecodeConfig(beam_size=beam_size))
    assert [h.tokens for h in both] == [h.tokens for h in single]
    assert [h.score for h in both] == pytest.approx([h.score for h in single], abs=1e-5)
    for a, b in zip(both, single):
        torch.testing.assert_close(a.attention, b.attention)


def test_ensemble_step_averages_log_probs_and_attention(make_batch):
    members = [make_model(1), make_model(2, input_feeding=False, attention="additive")]
    ensemble = Ensemble(members).eval()
    src, src_len = make_batch([5, 7], V, seed=5)
    prev = torch.full((2,), BOS_ID)
    with torch.inference_mode():
        enc, state = ensemble.encode(src, src_len)
        scores, _, attention = ensemble.step_logits(prev, state, enc)
        expected, weights = [], []
        for model in members:
            m_enc, m_state = model.encode(src, src_len)
            logits, _, att = model.step_logits(prev, m_state, m_enc)
            expected.append(torch.log_softmax(logits, dim=-1))
            weights.append(att)
    torch.testing.assert_close(scores, (expected[0] + expected[1]) / 2)
    torch.testing.assert_close(attention, (weights[0] + weights[1]) / 2)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_ensemble_beam_one_equals_greedy(alpha, make_batch):
    ensemble = Ensemble([make_model(1), make_model(2, input_feeding=False)]).eval()
    src, src_len = make_batch([7, 2, 5], V, seed=5)
    cfg = DecodeConfig(length_penalty=alpha)
    greedy = search(ensemble, src, src_len, dataclasses.replace(cfg, beam_size=1))
    beam = [hyps[0] for hyps in beam_search(ensemble, src, src_len, max_lengths(src_len, cfg), 1, alpha)]
    assert [h.tokens for h in beam] == [h.tokens for h in greedy]
    assert [h.score for h in beam] == pytest.approx([h.score for h in greedy], abs=1e-5)


def test_ensemble_batch_equals_single(make_batch):
    ensemble = Ensemble([make_model(1), make_model(3)]).eval()
    src, src_len = make_batch([8, 3, 5], V, seed=5)
    batched = search(ensemble, src, src_len, DecodeConfig(beam_size=3))
    for row in range(src.size(0)):
        n = int(src_len[row])
        alone = search(ensemble, src[row : row + 1, :n], src_len[row : row + 1], DecodeConfig(beam_size=3))[0]
        assert alone.tokens == batched[row].tokens


def test_ensemble_refuses_bad_members():
    with pytest.raises(ValueError, match="at least two"):
        Ensemble([make_model(1)])
    torch.manual_seed(0)
    other = Seq2Seq(ModelConfig(src_vocab_size=V, tgt_vocab_size=V + 1, emb_dim=16, hidden_size=32))
    with pytest.raises(ValueError, match="vocabulary"):
        Ensemble([make_model(1), other])


def test_translator_loads_an_ensemble_of_packages(trained_run, tmp_path):
    assert trained_run.exit_code == 0
    twin = shutil.copytree(trained_run.package, tmp_path / "twin")
    texts = ["Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee."]
    single = Translator.load(trained_run.package).translate(texts, beam_size=2)
    ensemble = Translator.load([trained_run.package, twin])
    assert isinstance(ensemble.package.model, Ensemble)
    assert ensemble.metadata["ensemble"] == [str(trained_run.package), str(twin)]
    assert [t.text for t in ensemble.translate(texts, beam_size=2)] == [t.text for t in single]


def test_translator_refuses_an_ensemble_of_different_language_pairs(trained_run, tmp_path):
    other = shutil.copytree(trained_run.package, tmp_path / "other")
    meta = json.loads((other / "metadata.json").read_text())
    meta["tgt_lang"] = "fr"
    (other / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(PackageError, match="cannot join an ensemble"):
        Translator.load([trained_run.package, other])


def test_cli_evaluates_an_ensemble(trained_run, tmp_path, capsys):
    from translator.cli import main

    src, ref = tmp_path / "src.de", tmp_path / "ref.en"
    src.write_text("Ein Hund rennt.\nZwei Kinder spielen.\n")
    ref.write_text("A dog runs.\nTwo children play.\n")
    package = str(trained_run.package)
    assert main(["evaluate", "--model", package, package, "--src", str(src), "--ref", str(ref), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == f"{package},{package}" and report["sentences"] == 2
