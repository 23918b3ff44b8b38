"""Search against independent references: every hypothesis rescored by a teacher-forced pass, beam search
as wide as the whole output space against enumeration, beam 1 against step-wise arg-max, plus batch/single
and length limits.

Scripted models whose answers are known by construction are in ``test_search_scripted.py``."""

import dataclasses
import itertools

import pytest
import torch

from translator.config import DecodeConfig, ModelConfig
from translator.ensemble import Ensemble
from translator.model import Seq2Seq
from translator.search import beam_search, length_penalty, max_lengths, search, search_n_best
from translator.special import BOS_ID, EOS_ID

V = 30
ARCHITECTURES = [
    {"cell": "lstm", "input_feeding": True, "attention": "general"},
    {"cell": "lstm", "input_feeding": False, "attention": "additive"},
    {"cell": "gru", "input_feeding": True, "attention": "dot"},
    {"cell": "gru", "input_feeding": False, "attention": "general", "dec_layers": 3},
]


def make_model(seed: int = 3, vocab: int = V, src_vocab: int = V, **overrides) -> Seq2Seq:
    torch.manual_seed(seed)
    cfg = ModelConfig(
        src_vocab_size=src_vocab,
        tgt_vocab_size=vocab,
        emb_dim=16,
        hidden_size=32,
        dropout=0.0,
        emb_dropout=0.0,
        **overrides,
    )
    return Seq2Seq(cfg).eval()


@pytest.fixture(scope="module")
def model():
    return make_model()


def decode(model, src, src_len, beam_size: int, **settings):
    return search(model, src, src_len, DecodeConfig(beam_size=beam_size, **settings))


def assert_rescored(members, hyps, src, src_len, max_len, alpha, teacher_forced, forced_pass):
    """Each hypothesis's score, attention rows and piece log-probabilities equal a teacher-forced pass over
    its own tokens."""
    for row, hyp in enumerate(hyps):
        n = int(src_len[row])
        forced = len(hyp.tokens) == int(max_len[row])
        score, attention = teacher_forced(members, src[row : row + 1, :n], hyp.tokens, forced, alpha)
        assert hyp.score == pytest.approx(score, abs=1e-4), (row, hyp.tokens)
        torch.testing.assert_close(hyp.attention, attention, rtol=1e-4, atol=1e-5)
        log_probs, _ = forced_pass(members, src[row : row + 1, :n], hyp.tokens, forced)
        torch.testing.assert_close(hyp.log_probs, log_probs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("arch", ARCHITECTURES, ids=lambda a: "-".join(map(str, a.values())))
@pytest.mark.parametrize(("beam_size", "alpha"), [(1, 0.0), (1, 0.6), (4, 0.6), (6, 1.5)])
def test_hypotheses_rescore_to_their_teacher_forced_scores(
    arch, beam_size, alpha, make_batch, teacher_forced, forced_pass
):
    model = make_model(**arch)
    src, src_len = make_batch([7, 5, 2, 9], V)
    cfg = DecodeConfig(beam_size=beam_size, length_penalty=alpha, max_len_ratio=1.0, max_len_offset=2)
    hyps = search(model, src, src_len, cfg)
    assert_rescored([model], hyps, src, src_len, max_lengths(src_len, cfg), alpha, teacher_forced, forced_pass)


@pytest.mark.parametrize("arch", ARCHITECTURES[:2], ids=["feeding", "no-feeding"])
def test_every_n_best_hypothesis_rescores_and_the_list_is_sorted(arch, make_batch, teacher_forced, forced_pass):
    """n-best lists: distinct outputs, best first, the first equal to the 1-best, each one rescored."""
    model = make_model(**arch)
    src, src_len = make_batch([7, 5, 2], V)
    cfg = DecodeConfig(beam_size=5, length_penalty=0.6)
    lists = search_n_best(model, src, src_len, cfg, n_best=5)
    best = search(model, src, src_len, cfg)
    for row, hyps in enumerate(lists):
        assert len(hyps) == 5
        assert hyps[0].tokens == best[row].tokens and hyps[0].score == best[row].score
        assert [h.score for h in hyps] == sorted((h.score for h in hyps), reverse=True)
        assert len({tuple(h.tokens) for h in hyps}) == 5
        limits = max_lengths(src_len[row : row + 1].repeat(5), cfg)
        rows = src[row : row + 1].repeat(5, 1), src_len[row : row + 1].repeat(5)
        assert_rescored([model], hyps, *rows, limits, 0.6, teacher_forced, forced_pass)


def test_n_best_above_the_beam_is_refused(model, make_batch):
    src, src_len = make_batch([4], V)
    with pytest.raises(ValueError, match="n_best"):
        search_n_best(model, src, src_len, DecodeConfig(beam_size=2), n_best=3)


@pytest.mark.parametrize("beam_size", [1, 4])
def test_ensemble_hypotheses_rescore_to_their_teacher_forced_scores(beam_size, make_batch, teacher_forced, forced_pass):
    members = [make_model(1), make_model(2, input_feeding=False, attention="additive", cell="gru")]
    src, src_len = make_batch([6, 3, 8], V, seed=5)
    cfg = DecodeConfig(beam_size=beam_size, length_penalty=0.6)
    hyps = search(Ensemble(members).eval(), src, src_len, cfg)
    assert_rescored(members, hyps, src, src_len, max_lengths(src_len, cfg), 0.6, teacher_forced, forced_pass)


def enumerate_all(model, src, max_len: int, alpha: float, teacher_forced):
    """Every output by brute force, best first: every sequence of non-EOS ids up to ``max_len`` pieces,
    scored -> [(score, tokens), ...]."""
    vocab = [i for i in range(model.cfg.tgt_vocab_size) if i != EOS_ID]
    scored = []
    for n in range(max_len + 1):
        for tokens in itertools.product(vocab, repeat=n):
            score, _ = teacher_forced([model], src, list(tokens), n == max_len, alpha)
            scored.append((score, list(tokens)))
    return sorted(scored, key=lambda item: -item[0])


@pytest.mark.parametrize(("seed", "alpha"), [(0, 0.0), (1, 0.0), (2, 1.0), (3, 2.0)])
def test_beam_as_wide_as_the_space_finds_the_true_best(seed, alpha, make_batch, teacher_forced):
    """5 target ids (4 besides EOS) and at most 3 pieces: 1 + 4 + 16 + 64 = 85 outputs; beam 85 holds all."""
    model = make_model(seed, vocab=5, src_vocab=12)
    src, src_len = make_batch([4], 12, seed=seed)
    max_len = torch.tensor([3])
    hyps = beam_search(model, src, src_len, max_len, beam_size=85, alpha=alpha, n_best=10)[0]
    ranked = enumerate_all(model, src, 3, alpha, teacher_forced)
    assert hyps[0].tokens == ranked[0][1]
    assert hyps[0].score == pytest.approx(ranked[0][0], abs=1e-5)
    assert [h.score for h in hyps] == pytest.approx([score for score, _ in ranked[:10]], abs=1e-5)  # the true 10-best


@pytest.mark.parametrize("arch", ARCHITECTURES[:2], ids=["feeding", "no-feeding"])
def test_beam_one_is_greedy_decoding(arch, make_batch):
    """Each piece of a beam-1 output is the arg-max of the model's teacher-forced distribution after its
    prefix, and the output ends where EOS is the arg-max (or at the length limit)."""
    model = make_model(**arch)
    src, src_len = make_batch([7, 5, 2, 9], V)
    cfg = DecodeConfig(beam_size=1, length_penalty=0.6)
    limits = max_lengths(src_len, cfg).tolist()
    for row, hyp in enumerate(search(model, src, src_len, cfg)):
        n = int(src_len[row])
        tgt_in = torch.tensor([[BOS_ID, *hyp.tokens]])
        with torch.inference_mode():
            logits, _ = model(src[row : row + 1, :n], src_len[row : row + 1], tgt_in)  # (1, T + 1, V)
        choices = logits[0].argmax(-1).tolist()
        ended = hyp.tokens + [EOS_ID] if len(hyp.tokens) < limits[row] else hyp.tokens
        assert choices[: len(ended)] == ended


@pytest.mark.parametrize("beam_size", [1, 4])
def test_batch_equals_single(model, beam_size, make_batch):
    src, src_len = make_batch([8, 3, 5, 1], V)
    batched = decode(model, src, src_len, beam_size)
    for row in range(src.size(0)):
        n = int(src_len[row])
        alone = decode(model, src[row : row + 1, :n], src_len[row : row + 1], beam_size)[0]
        assert alone.tokens == batched[row].tokens
        torch.testing.assert_close(alone.attention, batched[row].attention, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("beam_size", [1, 3])
def test_attention_matrix_shape_and_rows(model, beam_size, make_batch):
    src, src_len = make_batch([6, 2], V)
    for hyp, n_src in zip(decode(model, src, src_len, beam_size), src_len.tolist()):
        assert hyp.attention.shape == (len(hyp.tokens), n_src)
        if hyp.tokens:
            torch.testing.assert_close(hyp.attention.sum(1), torch.ones(len(hyp.tokens)))


def test_outputs_respect_the_maximum_length(model, make_batch):
    src, src_len = make_batch([4, 9], V)
    cfg = DecodeConfig(max_len_ratio=0.5, max_len_offset=1)
    limits = max_lengths(src_len, cfg).tolist()
    for beam_size in (1, 3):
        for hyp, limit in zip(search(model, src, src_len, dataclasses.replace(cfg, beam_size=beam_size)), limits):
            assert len(hyp.tokens) <= limit
            assert EOS_ID not in hyp.tokens


def test_search_uses_the_config_beam_size(model, make_batch):
    """One argument decides the beam: the DecodeConfig's (beam 5 and beam 1 differ on this batch)."""
    src, src_len = make_batch([6, 4, 8], V)
    cfg = DecodeConfig(beam_size=5, length_penalty=0.0)
    limit = max_lengths(src_len, cfg)
    wide = [hyps[0] for hyps in beam_search(model, src, src_len, limit, 5, 0.0)]
    assert [h.tokens for h in search(model, src, src_len, cfg)] == [h.tokens for h in wide]
    narrow = [hyps[0] for hyps in beam_search(model, src, src_len, limit, 1, 0.0)]
    assert [h.tokens for h in wide] != [h.tokens for h in narrow]
    assert [h.tokens for h in search(model, src, src_len, dataclasses.replace(cfg, beam_size=1))] == [
        h.tokens for h in narrow
    ]


def test_length_penalty_is_one_for_alpha_zero_and_grows_with_length():
    lengths = torch.tensor([1, 5, 20])
    assert torch.all(length_penalty(lengths, 0.0) == 1.0)
    torch.testing.assert_close(length_penalty(lengths, 1.0), torch.tensor([1.0, 10 / 6, 25 / 6]))
