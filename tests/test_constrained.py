"""Lexically constrained beam search (dynamic beam allocation): the progress bookkeeping, the allocation
of slots to banks, scripted models where the best output that holds the constraints is known by
construction, and a random-weight model where every constraint must appear and a sentence without
constraints decodes exactly as in the plain search, in the same batch."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
import torch
from test_search_scripted import VOCAB, A, B, C, D, ScriptedModel, Table
from tiny_package import build_tiny_package

from translator.constrained import Lexical, Progress, allocate
from translator.search import beam_search
from translator.special import EOS_ID
from translator.translate import Translator


def test_progress_counts_pieces_drops_a_broken_constraint_and_may_start_another() -> None:
    constraints = ((A, B), (C,))
    p = Progress.start(constraints)
    assert p.wanted(constraints) == {A, C} and p.count(constraints) == 0
    p = p.advance(constraints, A)
    assert p.wanted(constraints) == {B} and p.count(constraints) == 1
    broken = p.advance(constraints, C)  # A then C: (A, B) is dropped, (C,) is met by the same piece
    assert broken.met == (False, True) and broken.count(constraints) == 1 and broken.wanted(constraints) == {A}
    done = p.advance(constraints, B).advance(constraints, D).advance(constraints, C)
    assert done.complete() and done.count(constraints) == 3 and done.wanted(constraints) == set()


def test_allocation_gives_each_bank_a_slot_in_turn_the_most_met_first() -> None:
    candidates = [(-1.0, 0, 4), (-2.0, 0, 5), (-3.0, 1, 4), (-4.0, 1, 6), (-5.0, 0, 7)]
    counts = [0, 0, 0, 2, 1]  # bank of each candidate
    assert allocate(candidates, counts, 3) == [3, 4, 0]  # banks 2, 1, 0: one each, the best of each
    assert allocate(candidates, counts, 5) == [3, 4, 0, 1, 2]  # banks 2 and 1 are empty after one: 0 fills
    assert allocate(candidates, [0] * 5, 2) == [0, 1]  # one bank: the plain k best


def _run(
    table: Table, beam: int, constraints: tuple[tuple[int, ...], ...], max_len: int = 6, glue: tuple[int, ...] = ()
) -> list[int]:
    """One scripted decoding with ``constraints``; ``glue``: the pieces that continue a word."""
    src, src_len, limit = torch.tensor([[8, 9, 10]]), torch.tensor([3]), torch.tensor([max_len])
    continues = torch.zeros(VOCAB, dtype=torch.bool)
    continues[list(glue)] = True
    lexical = Lexical((constraints,), continues)
    return beam_search(ScriptedModel(table), src, src_len, limit, beam, 0.0, 1, lexical)[0][0].tokens


# Plain search says A (A ends at once). D is never any beam's best, and C D only follows A C.
HIDDEN: Table = {
    (): {A: 0.6, D: 0.1, B: 0.25},
    (A,): {EOS_ID: 0.8, C: 0.15},
    (A, C): {EOS_ID: 0.7, D: 0.2},
    (A, C, D): {EOS_ID: 0.95},
    (D,): {EOS_ID: 0.95},
    (B,): {EOS_ID: 0.5, D: 0.45},
    (B, D): {EOS_ID: 0.95},
}


def test_constraints_force_the_best_output_that_holds_them() -> None:
    assert _run(HIDDEN, 3, ()) == [A]
    # [D] alone: 0.1 * 0.95 beats B D (0.25 * 0.45 * 0.95 = 0.107 > 0.095!) so B D it is
    assert 0.25 * 0.45 > 0.1 and _run(HIDDEN, 3, ((D,),)) == [B, D]
    assert _run(HIDDEN, 3, ((C, D),)) == [A, C, D]  # the two-piece term, reached through A's weak C
    assert _run(HIDDEN, 3, ((C,), (D,))) == [A, C, D]  # two terms at once
    assert math.isclose(0.6 * 0.15 * 0.2 * 0.95, 0.0171)


def test_a_completed_term_is_never_glued_to_a_piece_that_continues_its_word() -> None:
    glued: Table = {(): {D: 0.9}, (D,): {C: 0.9}, (D, C): {EOS_ID: 0.9}, (D, B): {EOS_ID: 0.9}}
    assert _run(glued, 2, ((D,),)) == [D, C]  # C starts a word: allowed
    assert _run(glued, 2, ((D,),), glue=(C,))[:2] != [D, C]  # C would make "DC" one word: never after the term


def test_the_length_limit_grows_by_the_constraint_pieces() -> None:
    assert _run(HIDDEN, 3, (), max_len=1) == [A]
    assert _run(HIDDEN, 3, ((C, D),), max_len=1) == [A, C, D]  # limit 1 + 2 pieces: A C D fits


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Translator:
    root: Path = tmp_path_factory.mktemp("constrained")
    return Translator.load(build_tiny_package(root / "package", root / "spm"))


def test_every_constraint_appears_and_unconstrained_sentences_decode_as_plain(tiny: Translator) -> None:
    tok = tiny.package.tokenizer
    texts = ["Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee.", "Eine Frau liest.", "Kinder lachen."]
    rng = random.Random(3)
    words = ["dog", "snow", "bicycle", "woman", "reads"]
    constraints = [
        tuple(tuple(tok.encode_target(w)) for w in rng.sample(words, 2)) if i % 2 == 0 else ()
        for i in range(len(texts))
    ]
    plain = tiny.translate(texts, beam_size=5)
    forced = tiny.translate(texts, beam_size=5, constraints=constraints)
    for text_constraints, before, after in zip(constraints, plain, forced):
        ids = tok.encode_target(after.text)
        if not text_constraints:
            assert after.text == before.text and after.score == pytest.approx(before.score)
        for piece_ids in text_constraints:
            assert any(tuple(ids[i : i + len(piece_ids)]) == piece_ids for i in range(len(ids))), after.text
