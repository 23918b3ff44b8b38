"""Guided alignment: word links become per-piece attention targets, the loss has its hand-computed value,
training with it pulls the attention toward the links, and the links file is made by eflomal."""

from __future__ import annotations

import math

import pytest
import pytorch_lightning as pl
import torch
import yaml
from torch.utils.data import DataLoader

from training.config import Config, DataConfig, TrainConfig
from training.datamodule import LinkedExamples, collate
from training.downloads import CorpusError
from training.guided import guide_tensor, guide_unlinked, guided_alignment_loss, main, piece_links, read_links
from training.module import TranslationModule
from translator.alignment.forced import encode_pair
from translator.config import ConfigError, ModelConfig, from_dict
from translator.tokenizer import Tokenizer


def test_word_links_become_links_of_every_piece(trained_run):
    tok = Tokenizer.load(trained_run.package)
    source, target = "Fahrradfahrer fahren", "cyclists ride"
    src, tgt = encode_pair(tok, source, target)
    links = piece_links(tok, source, target, {(0, 0), (1, 1), (7, 0)})  # 7-0 names no word: ignored
    expected = {(t, s) for t in range(*tgt.spans[0]) for s in range(*src.spans[0])}
    expected |= {(t, s) for t in range(*tgt.spans[1]) for s in range(*src.spans[1])}
    assert set(links) == expected and len(src.spans[0]) and len(src.pieces) > 2
    assert piece_links(tok, "  ", target, {(0, 0)}) == ()


def test_guide_rows_are_uniform_over_linked_pieces():
    guide = guide_tensor([((0, 0), (0, 2), (2, 1)), ()], steps=4, width=3)
    assert guide.shape == (2, 4, 3)
    torch.testing.assert_close(guide[0], torch.tensor([[0.5, 0, 0.5], [0, 0, 0], [0, 1.0, 0], [0, 0, 0]]))
    assert guide[1].abs().sum() == 0


def test_guide_tensor_matches_a_loop_over_every_link():
    """The indexed fill equals setting one element per link (repeated links count once), on random links."""
    gen = torch.Generator().manual_seed(0)
    links = [
        tuple((int(t), int(s)) for t, s in torch.randint(0, 6, (int(n), 2), generator=gen))
        for n in torch.randint(0, 12, (5,), generator=gen)
    ]
    reference = torch.zeros(5, 6, 6)
    for b, pairs in enumerate(links):
        for t, s in pairs:
            reference[b, t, s] = 1.0
    reference = reference / reference.sum(dim=-1, keepdim=True).clamp_min(1.0)
    torch.testing.assert_close(guide_tensor(links, steps=6, width=6), reference)


def test_loss_is_the_cross_entropy_of_guided_rows():
    attention = torch.tensor([[[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]]])
    guide = torch.tensor([[[0.5, 0.5, 0.0], [0.0, 0.0, 0.0]]])  # the second row is not guided
    expected = -(0.5 * math.log(0.5) + 0.5 * math.log(0.25))
    assert float(guided_alignment_loss(attention, guide)) == pytest.approx(expected)
    assert float(guided_alignment_loss(attention, torch.zeros_like(guide))) == 0.0


def test_collate_builds_the_guide_of_the_batch_shape():
    batch = collate([(0, [5, 6, 7], [8, 9], ((0, 2), (1, 0))), (1, [5], [8, 9, 10], ((2, 0),))])
    assert batch.guide.shape == (2, batch.tgt_in.size(1), batch.src.size(1)) == (2, 4, 3)
    assert batch.guide[0, 0, 2] == 1.0 and batch.guide[1, 2, 0] == 1.0 and batch.guide.sum() == 3.0
    assert collate([(0, [5], [8])]).guide is None


def test_links_file_errors(tmp_path):
    path = tmp_path / "train.links"
    path.write_text("0-0 1-1\n0-1\n")
    assert read_links(path, 2) == [{(0, 0), (1, 1)}, {(0, 1)}]
    with pytest.raises(CorpusError, match="has 2 lines but the training split has 3 pairs"):
        read_links(path, 3)
    path.write_text("0-0 x\n0-1\n")
    with pytest.raises(CorpusError, match="malformed link"):
        read_links(path, 2)
    with pytest.raises(CorpusError, match="not found"):
        read_links(tmp_path / "missing", 2)


def test_unlinked_steps_get_uniform_rows_over_their_own_source():
    """guided_unlinked: uniform: target steps (pieces and EOS) that no link reaches become uniform over the
    example's source pieces; linked rows and pairs without any link are unchanged."""
    links = guide_unlinked(((0, 0), (2, 1)), src_len=3, steps=4)
    third = 1 / 3
    expected = [[1.0, 0, 0], [third, third, third], [0, 1.0, 0], [third, third, third]]
    torch.testing.assert_close(guide_tensor([links], steps=4, width=3)[0], torch.tensor(expected))
    assert guide_unlinked((), src_len=3, steps=4) == ()


class _Shards:
    """Two examples as a ShardDataset gives them: (index, source ids, target ids)."""

    examples = [(0, [5, 6, 7], [8, 9]), (1, [5], [8, 9])]
    lengths = None

    def __len__(self) -> int:
        return 2

    def __getitems__(self, positions):
        return [self.examples[p] for p in positions]


class _Links(dict):
    """Piece links by shard position, in memory (the store on disk reads the same way)."""

    def read(self, positions):
        return [self[p] for p in positions]


def test_linked_examples_guide_unlinked_steps_inside_each_source():
    """In a padded batch the uniform rows cover each example's own source, never the padding."""
    links = _Links({0: ((0, 1),), 1: ()})
    free = collate(LinkedExamples(_Shards(), links).__getitems__([0, 1])).guide
    uniform = collate(LinkedExamples(_Shards(), links, "uniform").__getitems__([0, 1])).guide
    assert free.shape == uniform.shape == (2, 3, 3)
    torch.testing.assert_close(uniform[0, 0], free[0, 0])  # the linked row: all on source piece 1
    torch.testing.assert_close(uniform[0, 1:], torch.full((2, 3), 1 / 3))  # target piece 1 and EOS
    assert free[0, 1:].abs().sum() == 0 and uniform[1].abs().sum() == 0  # no links: not guided at all


def test_unlinked_guidance_is_a_known_choice():
    assert from_dict(TrainConfig, {"guided_unlinked": "uniform"}).guided_unlinked == "uniform"
    with pytest.raises(ConfigError, match="guided_unlinked: 'flat' is not one of"):
        from_dict(TrainConfig, {"guided_unlinked": "flat"})  # from YAML
    with pytest.raises(ConfigError, match="guided_unlinked must be one of free, uniform"):
        TrainConfig(guided_unlinked="flat")  # type: ignore[arg-type]  # built in code


def test_weight_needs_links_and_is_not_negative():
    with pytest.raises(ConfigError, match="needs data.alignment_links"):
        from_dict(Config, {"train": {"guided_alignment_weight": 0.5}})
    with pytest.raises(ConfigError, match=">= 0"):
        from_dict(Config, {"data": {"alignment_links": "x"}, "train": {"guided_alignment_weight": -1}})


def _train(weight: float, batches: list) -> float:
    """Fit a tiny model on ``batches`` with the given guidance weight -> its mean guided loss on them after."""
    torch.manual_seed(0)
    model = ModelConfig(src_vocab_size=30, tgt_vocab_size=30, emb_dim=16, hidden_size=16, dropout=0.0, emb_dropout=0.0)
    train = TrainConfig(lr=0.01, warmup_steps=1, guided_alignment_weight=weight, precision="32-true")
    module = TranslationModule(Config(data=DataConfig(alignment_links="unused"), model=model, train=train))
    trainer = pl.Trainer(
        max_steps=len(batches),
        limit_val_batches=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(module, DataLoader(batches, batch_size=None, collate_fn=lambda b: b))
    module.model.eval()
    with torch.inference_mode():
        losses = [guided_alignment_loss(module.model(b.src, b.src_len, b.tgt_in)[1], b.guide) for b in batches[:4]]
    return float(sum(losses)) / len(losses)


def test_training_with_guidance_pulls_the_attention_toward_the_links():
    """Target = the source reversed, links on the anti-diagonal: after the same 40 steps, the model trained
    with guidance attends far closer to the links than the one trained without."""
    gen = torch.Generator().manual_seed(1)
    examples = []
    for i in range(16):
        n = 4 + i % 4
        ids = torch.randint(4, 30, (n,), generator=gen).tolist()
        examples.append((i, ids, ids[::-1], tuple((t, n - 1 - t) for t in range(n))))
    batches = [collate(examples[i : i + 4]) for i in range(0, 16, 4)] * 10
    guided, unguided = _train(5.0, batches), _train(0.0, batches)
    assert guided < 0.7 * unguided, (guided, unguided)  # measured: 0.89 against 1.70


@pytest.mark.parametrize(("unit", "words_per_pair"), [("whitespace", 4), ("moses", 5)])
def test_links_file_is_made_by_eflomal(tmp_path, capsys, unit, words_per_pair):
    data = tmp_path / "data"
    data.mkdir()
    words = ["cat", "dog", "house", "tree", "car", "red", "big", "small"]
    gen = torch.Generator().manual_seed(0)
    src, tgt = [], []
    for _ in range(60):
        picked = [words[i] for i in torch.randint(0, len(words), (4,), generator=gen).tolist()]
        src.append(" ".join(picked) + ".")  # Moses cuts the full stop off the last word
        tgt.append(" ".join(w.upper() for w in picked) + ".")
    (data / "train.en").write_text("\n".join(src) + "\n")
    (data / "train.fr").write_text("\n".join(tgt) + "\n")
    config = tmp_path / "c.yaml"
    links = tmp_path / "runs" / "train.links"
    config.write_text(
        yaml.safe_dump(
            {
                "data": {
                    "src_lang": "en",
                    "tgt_lang": "fr",
                    "data_dir": str(data),
                    "alignment_links": str(links),
                    "alignment_words": unit,
                }
            }
        )
    )
    assert main(["--config", str(config), "--symmetrise", "intersection"]) == 0
    made = read_links(links, 60)
    diagonal = sum(len(pair & {(k, k) for k in range(words_per_pair)}) for pair in made)
    assert diagonal >= 0.9 * sum(len(pair) for pair in made) > 0  # word k translates word k
    assert max(j for pair in made for _, j in pair) == words_per_pair - 1
    (data / "train.fr").write_text("only one line\n")
    assert main(["--config", str(config)]) == 2
    assert "line counts differ" in capsys.readouterr().err


def test_the_data_module_batches_guided_examples():
    """Training examples that carry links go through the bucketing sampler and come out with a guide."""
    from training.datamodule import TranslationDataModule

    cfg = Config(data=DataConfig(alignment_links="unused"), train=TrainConfig(guided_alignment_weight=0.5))
    datamodule = TranslationDataModule(cfg)
    datamodule.train_data = [(i, [5, 6, 7][: 1 + i % 3], [8, 9], ((0, 0), (1, i % 3))) for i in range(10)]
    batches = list(datamodule.train_dataloader())
    assert sum(b.src.size(0) for b in batches) == 10
    for batch in batches:
        assert batch.guide is not None and batch.guide.shape == (batch.src.size(0), 3, batch.src.size(1))
        assert torch.all(batch.guide.sum(-1)[:, :2] == 1.0) and torch.all(batch.guide[:, 2] == 0)
