"""The JSON API, the heatmap and the page, through Flask's test client; answers equal the library's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from flask.testing import FlaskClient

from serve.app import create_app, service_of
from translator.alignment.links import argmax_links, mutual_links
from translator.alignment.words import merge_alignment, word_spans
from translator.translate import Translator

SENTENCES = ["Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee.", "Kinder spielen."]
STATIC = Path(__file__).resolve().parents[2] / "serve" / "static"


def _check_same(item: dict, ref) -> None:  # noqa: ANN001 - a translator.Translation
    assert item["translation"] == ref.text
    assert item["source_tokens"] == ref.source_tokens
    assert item["target_tokens"] == ref.target_tokens
    assert item["score"] == pytest.approx(ref.score, abs=1e-4)
    assert len(item["alignment"]) == len(ref.target_tokens)
    for row, ref_row in zip(item["alignment"], ref.alignment, strict=True):
        assert len(row) == len(ref.source_tokens)
        assert sum(row) == pytest.approx(1.0, abs=1e-4)
        assert row == pytest.approx(ref_row, abs=1e-5)


@pytest.mark.parametrize("beam", [1, 3])
def test_translate_many_matches_library(client: FlaskClient, translator: Translator, beam: int) -> None:
    response = client.post("/v1/translate", json={"texts": SENTENCES, "beam_size": beam})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["model"] == {"name": "test", "src_lang": "de", "tgt_lang": "en"}
    assert body["beam_size"] == beam
    refs = translator.translate(SENTENCES, beam_size=beam)
    assert len(body["translations"]) == len(SENTENCES)
    for item, ref in zip(body["translations"], refs, strict=True):
        _check_same(item, ref)


def test_single_text_uses_package_default_beam(client: FlaskClient, translator: Translator) -> None:
    response = client.post("/v1/translate", json={"text": SENTENCES[0]})
    body = response.get_json()
    assert response.status_code == 200
    assert body["beam_size"] == translator.package.decode_cfg.beam_size
    _check_same(body["translations"][0], translator.translate(SENTENCES[:1])[0])


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_blank_text_is_an_empty_translation(client: FlaskClient, text: str) -> None:
    response = client.post("/v1/translate", json={"text": text})
    assert response.status_code == 200
    item = response.get_json()["translations"][0]
    assert item["translation"] == "" and item["target_tokens"] == [] and item["alignment"] == []


def test_alignment_can_be_left_out_and_words_added(client: FlaskClient, translator: Translator) -> None:
    response = client.post("/v1/translate", json={"text": SENTENCES[1], "alignment": False, "word_alignment": True})
    item = response.get_json()["translations"][0]
    assert "alignment" not in item
    ref = translator.translate(SENTENCES[1:2])[0]
    words = item["word_alignment"]
    assert words["source_words"] == ["Zwei", "Hunde", "spielen", "im", "Schnee."]
    assert len(words["alignment"]) == len(words["target_words"])
    expected = merge_alignment(ref.source_tokens, ref.target_tokens, ref.alignment)
    assert words["target_words"] == expected["target_words"]
    for row, ref_row in zip(words["alignment"], expected["alignment"], strict=True):
        assert row == pytest.approx(ref_row, abs=1e-5)
        assert sum(row) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("rule", [None, "argmax", "mutual"])
def test_word_links_follow_the_link_rule(client: FlaskClient, rule: str | None) -> None:
    """word_links are read from each sentence's word matrix by link_rule (default argmax, as before it
    existed); mutual links are row maxima too, so they are a subset of argmax's."""
    body = {"text": " ".join(SENTENCES), "word_alignment": True, **({"link_rule": rule} if rule else {})}
    response = client.post("/v1/translate", json=body)
    assert response.status_code == 200, response.data
    for sentence in response.get_json()["translations"][0]["sentences"]:
        matrix = sentence["word_alignment"]["alignment"]
        links = {tuple(link) for link in sentence["word_links"]}
        assert links == (mutual_links(matrix) if rule == "mutual" else argmax_links(matrix))
        assert links <= argmax_links(matrix) and (links or not matrix)
    wrong = client.post("/v1/translate", json={"text": SENTENCES[0], "link_rule": "threshold"})
    assert wrong.status_code == 400 and "'link_rule' must be one of" in wrong.get_json()["error"]


def test_word_spans_merge_pieces() -> None:
    pieces = ["▁Ein", "▁Ma", "nn", "▁", "f", "ährt", "<unk>", "."]
    assert word_spans(pieces) == [(0, 1), (1, 3), (3, 6), (6, 7), (7, 8)]
    merged = merge_alignment(pieces[:3], ["▁A", "▁ma", "n"], [[1, 0, 0], [0, 0.5, 0.5], [0, 0.25, 0.75]])
    assert merged["source_words"] == ["Ein", "Mann"] and merged["target_words"] == ["A", "man"]
    assert merged["alignment"] == [[1.0, 0.0], [0.0, 1.0]]


def test_requests_do_not_change_the_model(client: FlaskClient, translator: Translator) -> None:
    model = translator.package.model
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    for beam in (1, 2):
        assert client.post("/v1/translate", json={"texts": SENTENCES, "beam_size": beam}).status_code == 200
    assert not model.training
    after = model.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before)


def test_health_model_and_openapi(client: FlaskClient) -> None:
    health = client.get("/v1/health")
    assert health.status_code == 200 and health.get_json()["status"] == "ready"
    model = client.get("/v1/model").get_json()
    assert model["name"] == "test" and model["src_lang"] == "de" and model["tgt_lang"] == "en"
    assert model["parameters"] > 0 and model["scores"] == {"bleu": 0.0}
    assert model["limits"]["max_texts"] == 8 and "files" not in model
    spec = client.get("/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/v1/translate", "/v1/heatmap", "/v1/health", "/v1/model", "/v1/openapi.json", "/"):
        assert path in spec["paths"]
    assert spec["components"]["schemas"]["TranslateRequest"]["properties"]["texts"]["maxItems"] == 8


def test_heatmap_png_post_and_query(client: FlaskClient) -> None:
    for response in (
        client.post("/v1/heatmap", json={"text": SENTENCES[0], "beam_size": 1}),
        client.get("/v1/heatmap", query_string={"text": SENTENCES[0], "level": "word"}),
    ):
        assert response.status_code == 200, response.data[:200]
        assert response.mimetype == "image/png"
        assert response.data.startswith(b"\x89PNG\r\n\x1a\n")


def test_page_and_assets_are_served_locally(client: FlaskClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200
    for file in STATIC.iterdir():
        assert not re.search(r"(?:src|href|url)\s*[=(]\s*[\"']?(?:https?:)?//", file.read_text()), file.name


def test_int8_quantization_setting(tiny_package: Path, settings) -> None:  # noqa: ANN001 - Settings
    """``quantize=int8`` loads the package as an int8 model; the load check accepts it and rejects nonsense."""
    import dataclasses

    from serve.app import create_app, service_of
    from serve.loadcheck import main as loadcheck

    app = create_app(tiny_package, dataclasses.replace(settings, quantize="int8"))
    try:
        client = app.test_client()
        assert client.get("/v1/model").get_json()["quantization"] == "int8"
        response = client.post("/v1/translate", json={"texts": SENTENCES, "beam_size": 2})
        assert response.status_code == 200
        for item in response.get_json()["translations"]:
            assert all(sum(row) == pytest.approx(1.0, abs=1e-4) for row in item["alignment"])
    finally:
        service_of(app).close()
    assert loadcheck([str(tiny_package), "int8"]) == 0
    assert loadcheck([str(tiny_package), "int4"]) == 1


@pytest.mark.parametrize("text", ["$$", "$x^{2}$", "Preis: $5 und $$"])
def test_heatmap_of_dollar_text_is_a_png(client, text: str) -> None:  # noqa: ANN001
    for response in (
        client.post("/v1/heatmap", json={"text": text}),
        client.get("/v1/heatmap", query_string={"text": text}),
    ):
        assert response.status_code == 200 and response.data.startswith(b"\x89PNG"), response.data[:200]


def test_model_description_discloses_no_host_commit_or_path(trained_run, settings) -> None:  # noqa: ANN001
    """A trained package's metadata names its host, commit and data mirror; /v1/model shows none of them."""
    metadata = json.loads((trained_run.package / "metadata.json").read_text())
    assert {"host", "commit"} <= set(metadata) and "mirror" in metadata["training_data"]
    app = create_app(Translator.load(trained_run.package), settings)
    try:
        model = app.test_client().get("/v1/model").get_json()
    finally:
        service_of(app).close()
    assert not {"host", "commit", "hardware", "files"} & set(model)
    assert "mirror" not in model["training_data"] and model["training_data"]["corpus"]
    assert metadata["host"] not in json.dumps(model) and str(trained_run.workdir) not in json.dumps(model)
    assert model["scores"] == metadata["scores"] and model["src_lang"] == "de"
