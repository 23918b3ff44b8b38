"""A few dozen real pairs are memorised until greedy decoding reproduces every reference exactly."""

import pytest
import torch
import torch.nn.functional as F

from translator.config import DecodeConfig, ModelConfig
from translator.model import Seq2Seq
from translator.padding import lengths_of, pad_ids
from translator.search import search
from translator.special import BOS_ID, EOS_ID, PAD_ID

PAIRS = 32


@pytest.fixture(scope="module")
def pairs(trained_run):
    from translator.tokenizer import Tokenizer

    tok = Tokenizer.load(trained_run.package)
    data = trained_run.workdir / "data" / "multi30k"
    src = (data / "train.de").read_text(encoding="utf-8").splitlines()[:PAIRS]
    tgt = (data / "train.en").read_text(encoding="utf-8").splitlines()[:PAIRS]
    return tok, [tok.encode_source(s)[0] for s in src], [tok.encode_target(t) for t in tgt]


def test_overfit_reproduces_references(pairs):
    tok, src_ids, tgt_ids = pairs
    torch.manual_seed(0)
    cfg = ModelConfig(
        src_vocab_size=tok.src_vocab_size,
        tgt_vocab_size=tok.tgt_vocab_size,
        emb_dim=64,
        hidden_size=128,
        dropout=0.0,
        emb_dropout=0.0,
    )
    model = Seq2Seq(cfg)
    src, src_len = pad_ids(src_ids), lengths_of(src_ids)
    tgt_in, tgt_out = pad_ids([[BOS_ID, *t] for t in tgt_ids]), pad_ids([[*t, EOS_ID] for t in tgt_ids])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    decoded = None
    for step in range(400):
        model.train()
        logits, _ = model(src, src_len, tgt_in)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=PAD_ID)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 25 == 24:
            model.eval()
            decoded = [h.tokens for h in search(model, src, src_len, DecodeConfig(beam_size=1))]
            if decoded == tgt_ids:
                break
    assert decoded == tgt_ids, (
        f"memorised {sum(d == t for d, t in zip(decoded, tgt_ids))}/{PAIRS} after {step + 1} steps"
    )
    texts = [tok.decode_target(d) for d in decoded]
    assert texts == [tok.decode_target(t) for t in tgt_ids]
