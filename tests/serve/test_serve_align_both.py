"""POST /v1/align with ``symmetrise``: links of both directions' packages that one server holds, combined as
the library combines them (``translator align --reverse-model``), and the errors when the opposite pair is
missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from api_testlib import assert_error
from flask import Flask
from tiny_package import build_tiny_package

from serve.app import catalog_of, create_app
from serve.requests import settle_translate
from serve.settings import Settings
from serve.validation import parse_translate
from translator.alignment.aligner import (
    COMBINATIONS,
    AlignMethod,
    align_pairs,
    document_links_both,
    documents_links_both,
    force_align_both,
)
from translator.alignment.forced import force_align
from translator.document import translate_documents
from translator.markup import ONE_DIRECTION, TAG_LINK_RULE, TAG_SYMMETRISE, extract_html, marked_translation
from translator.translate import Translator

PAIR = {"source": "Zwei Hunde spielen im Schnee .", "target": "Two dogs play in the snow ."}


@pytest.fixture(scope="module")
def both_ways(tiny_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of three packages: de->en (the tiny package), en->de (other weights) and en->fr."""
    root = tmp_path_factory.mktemp("both-ways")
    shutil.copytree(tiny_package, root / "all" / "de-en")
    build_tiny_package(root / "all" / "en-de", root / "spm-de", pair=("en", "de"), seed=2)
    build_tiny_package(root / "all" / "en-fr", root / "spm-fr", pair=("en", "fr"), seed=1)
    return root / "all"


@pytest.fixture(scope="module")
def both_app(both_ways: Path, settings: Settings) -> Iterator[Flask]:
    app = create_app(both_ways, settings)
    yield app
    catalog_of(app).close()


@pytest.mark.parametrize("how", COMBINATIONS)
@pytest.mark.parametrize("rule", ["argmax", "mutual"])
def test_symmetrised_links_are_those_of_the_library(both_app: Flask, both_ways: Path, how: str, rule: str) -> None:
    body = {**PAIR, "source_lang": "de", "target_lang": "en", "rule": rule, "symmetrise": how}
    response = both_app.test_client().post("/v1/align", json=body)
    assert response.status_code == 200, response.data
    answer = response.get_json()
    method = AlignMethod(rule, symmetrise=how)
    forward, backward = Translator.load(both_ways / "de-en"), Translator.load(both_ways / "en-de")
    expected, forced = align_pairs([(PAIR["source"], PAIR["target"])], forward, method, backward)
    assert [tuple(link) for link in answer["links"]] == sorted(expected[0])
    assert answer["method"] == f"{rule}, {how} of both directions"
    assert (answer["model"]["src_lang"], answer["reverse_model"]["src_lang"]) == ("de", "en")
    for row, matrix_row in zip(answer["word_alignment"], forced[0].word_matrix(), strict=True):
        assert row == pytest.approx(matrix_row, abs=1e-6)  # the matrices stay the named direction's


def test_without_symmetrise_one_direction_answers(both_app: Flask, both_ways: Path) -> None:
    body = {**PAIR, "source_lang": "de", "target_lang": "en", "rule": "mutual"}
    answer = both_app.test_client().post("/v1/align", json=body).get_json()
    expected, _ = align_pairs(
        [(PAIR["source"], PAIR["target"])], Translator.load(both_ways / "de-en"), AlignMethod("mutual")
    )
    assert [tuple(link) for link in answer["links"]] == sorted(expected[0])
    assert "reverse_model" not in answer and answer["method"] == "mutual"


def test_symmetrise_without_the_opposite_pair_or_unknown_is_a_400(both_app: Flask, client) -> None:  # noqa: ANN001
    fr = {"source": "a man", "target": "un homme", "source_lang": "en", "target_lang": "fr"}
    missing = both_app.test_client().post("/v1/align", json={**fr, "symmetrise": "mean"})
    assert_error(missing, 400, "needs a fr->en model", "de->en, en->de, en->fr")
    assert_error(both_app.test_client().post("/v1/align", json={**fr, "symmetrise": "both"}), 400, "one of")
    assert_error(client.post("/v1/align", json={**PAIR, "symmetrise": "union"}), 400, "needs a en->de model")


def test_markup_tags_follow_both_directions_links_when_asked(both_app: Flask, both_ways: Path) -> None:
    """format html with symmetrise: the tags sit on the target words that the combined links (the library's
    forced alignments of the sentence and its translation, both ways) give their source words; without the
    opposite pair the request is a 400."""
    client = both_app.test_client()
    body = {"text": "Zwei <b>Hunde</b> spielen im Schnee.", "format": "html", "source": "de", "target": "en"}
    item = client.post("/v1/translate", json={**body, "symmetrise": "intersection"}).get_json()["translations"][0]
    forward, backward = (Translator.load(both_ways / name) for name in ("de-en", "en-de"))
    pair = (item["plain_source"], item["plain_translation"])
    (links,) = align_pairs([pair], forward, AlignMethod("mutual", symmetrise="intersection"), backward)[0]
    wrapped = sorted(j for i, j in links if i == 1)  # "Hunde" is source word 1
    words = item["plain_translation"].split()
    if wrapped:
        assert "<b>" + words[wrapped[0]] in item["translation"]
    else:
        assert "<b></b>" in item["translation"]
    one_way = client.post("/v1/translate", json={**body, "source": "en", "target": "fr", "text": "<b>Two</b> dogs."})
    assert one_way.status_code == 200
    missing = {**body, "source": "en", "target": "fr", "text": "<b>Two</b> dogs.", "symmetrise": "union"}
    assert_error(client.post("/v1/translate", json=missing), 400, "fr->en")


@pytest.mark.parametrize("how", ["mean", "intersection"])
def test_tags_placed_by_both_directions_are_those_of_the_library(both_app: Flask, both_ways: Path, how: str) -> None:
    text = 'Zwei <b>Hunde</b> spielen <a href="/s">im Schnee</a>. Ein <i>Mann</i> lacht.'
    body = {"text": text, "format": "html", "source": "de", "target": "en", "symmetrise": how, "beam_size": 2}
    response = both_app.test_client().post("/v1/translate", json=body)
    assert response.status_code == 200, response.data
    item = response.get_json()["translations"][0]
    forward, backward = Translator.load(both_ways / "de-en"), Translator.load(both_ways / "en-de")
    marked = extract_html(text)
    document = translate_documents(forward, [marked.text], beam_size=2)[0]
    word_links = document_links_both(document, forward, backward, AlignMethod(TAG_LINK_RULE, symmetrise=how))
    assert len(word_links[3]) == len(word_links[1])  # a row for every target word, across both sentences
    assert item["translation"] == marked_translation(document, marked, TAG_LINK_RULE, None, word_links)[0]
    assert all(tag in item["translation"] for tag in ("<b>", '<a href="/s">', "<i>"))


def test_markup_follows_both_directions_by_default_where_the_reverse_package_is_served(
    both_app: Flask, both_ways: Path, settings: Settings
) -> None:
    text = 'Zwei <b>Hunde</b> spielen <a href="/s">im Schnee</a>. Ein <i>Mann</i> lacht.'
    body = {"text": text, "format": "html", "source": "de", "target": "en", "beam_size": 2}
    client = both_app.test_client()

    def answer(**extra: str) -> str:
        response = client.post("/v1/translate", json={**body, **extra})
        assert response.status_code == 200, response.data
        return response.get_json()["translations"][0]["translation"]

    assert answer() == answer(symmetrise=TAG_SYMMETRISE)
    forward = Translator.load(both_ways / "de-en")
    marked = extract_html(text)
    document = translate_documents(forward, [marked.text], beam_size=2)[0]
    assert answer(symmetrise=ONE_DIRECTION) == marked_translation(document, marked, TAG_LINK_RULE)[0]
    for extra, marked_up, has_reverse, expected in [
        ({}, True, True, TAG_SYMMETRISE),
        ({}, True, False, None),
        ({}, False, True, None),  # plain text: its own links
        ({"symmetrise": ONE_DIRECTION}, True, True, None),
        ({"symmetrise": "union"}, True, True, "union"),
    ]:
        parsed = parse_translate({**body, **extra, "format": "html" if marked_up else "text"}, settings)
        method = settle_translate(parsed, 2, None, has_reverse).both_directions
        assert (method.symmetrise if method else None) == expected


def test_several_documents_aligned_together_get_the_links_and_rows_each_gets_alone(both_ways: Path) -> None:
    forward, backward = Translator.load(both_ways / "de-en"), Translator.load(both_ways / "en-de")
    texts = ["Zwei Hunde spielen im Schnee. Ein Mann lacht.", "Ein Kind.", "Eine Frau fährt Fahrrad im Park."]
    documents = translate_documents(forward, texts, beam_size=2)
    method = AlignMethod(TAG_LINK_RULE, symmetrise="mean")
    together = documents_links_both(documents, forward, backward, method)
    for document, (source_words, target_words, links, rows) in zip(documents, together, strict=True):
        alone = document_links_both(document, forward, backward, method)
        assert (source_words, target_words, links) == alone[:3] and len(rows) == len(target_words)
        for row, single in zip(rows, alone[3], strict=True):
            assert row.first == single.first and row.weights == pytest.approx(single.weights, abs=1e-5)


def test_both_directions_are_the_pairs_forward_and_swapped(both_ways: Path) -> None:
    forward, backward = Translator.load(both_ways / "de-en"), Translator.load(both_ways / "en-de")
    pairs = [(PAIR["source"], PAIR["target"]), ("Ein Kind lacht .", "A child laughs .")]
    fwd, bwd = force_align_both(pairs, forward, backward)
    assert [a.source.words for a in fwd] == [s.split() for s, _ in pairs]
    assert [a.source.words for a in bwd] == [t.split() for _, t in pairs]
    (alone,) = force_align(backward.package.model, backward.package.tokenizer, [pairs[1][::-1]])
    torch.testing.assert_close(torch.tensor(bwd[1].attention), torch.tensor(alone.attention), atol=1e-5, rtol=0)
