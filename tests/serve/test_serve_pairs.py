"""One server, several packages: routing by language pair, /v1/languages, the errors of a missing or unknown
pair, paragraphs and n-best over HTTP, metrics and request ids (in-process; over HTTP: test_serve_access)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from serve.app import catalog_of, create_app, service_of
from serve.catalog import load_translators
from serve.loadcheck import main as loadcheck
from serve.settings import Settings
from translator.package import PackageError
from translator.translate import Translator

PARAGRAPH = "Ein Mann fährt Fahrrad. Zwei Hunde spielen im Schnee.\n\nKinder spielen."


@pytest.fixture(scope="module")
def packages(pair_packages: Path) -> Path:
    return pair_packages


@pytest.fixture(scope="module")
def pairs_app(packages: Path, settings: Settings) -> Iterator[Flask]:
    app = create_app(packages, settings)  # a folder of packages
    yield app
    catalog_of(app).close()


def _translate(app: Flask, **body):  # noqa: ANN003, ANN202
    return app.test_client().post("/v1/translate", json=body)


def test_requests_are_routed_by_pair(pairs_app: Flask, packages: Path) -> None:
    for source, target, folder in (("de", "en", "de-en"), ("en", "fr", "en-fr")):
        response = _translate(pairs_app, text="Zwei Hunde spielen.", source=source, target=target, beam_size=2)
        assert response.status_code == 200, response.data
        body = response.get_json()
        assert (body["model"]["src_lang"], body["model"]["tgt_lang"]) == (source, target)
        expected = Translator.load(packages / folder).translate(["Zwei Hunde spielen."], beam_size=2)[0]
        assert body["translations"][0]["translation"] == expected.text
    only_target = _translate(pairs_app, text="Hallo.", target="fr").get_json()
    assert only_target["model"]["tgt_lang"] == "fr"  # one code is enough when it picks one package


def test_languages_lists_every_pair_with_name_and_scores(pairs_app: Flask) -> None:
    body = pairs_app.test_client().get("/v1/languages").get_json()
    assert [(p["source"], p["target"], p["model"]) for p in body["pairs"]] == [
        ("de", "en", "test"),
        ("en", "fr", "test-en-fr"),
    ]
    assert all(p["scores"] == {"bleu": 0.0} for p in body["pairs"])
    assert body["languages"] == [{"code": "de", "targets": ["en"]}, {"code": "en", "targets": ["fr"]}]
    assert body["api_key_required"] is False


def test_missing_or_unknown_pair_is_a_400_naming_the_pairs(pairs_app: Flask) -> None:
    missing = _translate(pairs_app, text="Hallo.")
    assert missing.status_code == 400
    assert "de->en, en->fr" in missing.get_json()["error"] and "'source'" in missing.get_json()["error"]
    unknown = _translate(pairs_app, text="Hallo.", source="de", target="fr")
    assert unknown.status_code == 400 and "no model for de->fr" in unknown.get_json()["error"]
    assert "de->en, en->fr" in unknown.get_json()["error"]
    align = pairs_app.test_client().post("/v1/align", json={"source": "a b", "target": "c d"})
    assert align.status_code == 400 and "'source' and 'target'" in align.get_json()["error"]
    named = {"source": "a b", "target": "c d", "source_lang": "en", "target_lang": "fr"}
    assert pairs_app.test_client().post("/v1/align", json=named).status_code == 200
    assert pairs_app.test_client().get("/v1/model?source=en").get_json()["tgt_lang"] == "fr"


def test_two_packages_of_one_pair_and_a_broken_package_stop_loading(packages: Path, tmp_path: Path) -> None:
    twin = shutil.copytree(packages / "de-en", tmp_path / "twin")
    with pytest.raises(PackageError, match="both translate de->en"):
        load_translators([packages, twin], None)
    broken = shutil.copytree(packages / "en-fr", tmp_path / "broken")
    (broken / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(PackageError, match="broken"):
        load_translators([packages / "de-en", broken], None)
    assert loadcheck([f"{packages / 'de-en'}:{broken}"]) == 1
    assert loadcheck([str(packages)]) == 0
    (tmp_path / "empty").mkdir()
    with pytest.raises(PackageError, match="no model packages inside"):
        load_translators([tmp_path / "empty"], None)


def test_a_paragraph_comes_back_with_sentences_and_offsets(pairs_app: Flask) -> None:
    body = _translate(pairs_app, text=PARAGRAPH, source="de", word_alignment=True).get_json()
    item = body["translations"][0]
    assert len(item["sentences"]) == 3
    assert item["translation"].count("\n\n") == 1
    for sentence in item["sentences"]:
        a, b = sentence["target_span"]
        assert item["translation"][a:b] == sentence["translation"]
        for word in sentence["source_words"]:
            assert PARAGRAPH[word["start"] : word["end"]] == word["text"]
        for word in sentence["target_words"]:
            assert item["translation"][word["start"] : word["end"]] == word["text"]
        assert 0.0 < sentence["confidence"] <= 1.0
        assert len(sentence["token_logprobs"]) == len(sentence["target_tokens"])
        assert all(0 <= s < len(sentence["source_words"]) for s, _ in sentence["word_links"])
    unsplit = _translate(pairs_app, text=PARAGRAPH, source="de", split=False).get_json()["translations"][0]
    assert len(unsplit["sentences"]) == 1


def test_n_best_over_http_is_sorted_and_starts_with_the_one_best(pairs_app: Flask) -> None:
    one = _translate(pairs_app, text="Zwei Hunde spielen.", source="de", beam_size=4).get_json()
    many = _translate(pairs_app, text="Zwei Hunde spielen.", source="de", beam_size=4, n_best=4).get_json()
    alternatives = many["translations"][0]["sentences"][0]["n_best"]
    assert len(alternatives) == 4 and alternatives[0]["translation"] == one["translations"][0]["translation"]
    assert [a["score"] for a in alternatives] == sorted((a["score"] for a in alternatives), reverse=True)
    assert "n_best" not in one["translations"][0]["sentences"][0]


def test_sentence_limits(tiny_package: Path) -> None:
    app = create_app(tiny_package, Settings(max_sentences=8, max_texts=2, max_sentence_chars=30, max_wait_ms=1.0))
    try:
        many = _translate(app, text=" ".join(["Hund."] * 9))
        assert many.status_code == 400 and "9 sentences" in many.get_json()["error"]
        long = _translate(app, text="Ein sehr langer Satz ohne ein Ende in Sicht hier.")
        assert long.status_code == 400 and "the limit is 30" in long.get_json()["error"]
        assert _translate(app, text=" ".join(["Hund."] * 8)).status_code == 200
    finally:
        catalog_of(app).close()


def test_whole_text_alignment_limit(tiny_package: Path) -> None:
    app = create_app(tiny_package, Settings(max_alignment_cells=1, max_wait_ms=1.0))
    try:
        paragraph = _translate(app, text="Ein Mann fährt Fahrrad. Zwei Hunde spielen im Schnee.").get_json()
        item = paragraph["translations"][0]
        assert item["whole_alignment"] is False and "alignment" not in item
        assert len(item["sentences"]) == 2 and all(s["alignment"] for s in item["sentences"])
        sentence = _translate(app, text="Ein Mann fährt Fahrrad.").get_json()["translations"][0]
        assert sentence["alignment"] and "whole_alignment" not in sentence
    finally:
        catalog_of(app).close()


def _sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_metrics_counters_move(pairs_app: Flask) -> None:
    client = pairs_app.test_client()
    before = client.get("/metrics").get_data(as_text=True)
    assert _translate(pairs_app, text="Hund. Katze.", source="de").status_code == 200
    assert _translate(pairs_app, text="Hund.").status_code == 400
    after = client.get("/metrics").get_data(as_text=True)
    ok = {"endpoint": "/v1/translate", "method": "POST", "status": "200"}
    bad = {**ok, "status": "400"}
    assert _sample(after, "translator_requests_total", **ok) == _sample(before, "translator_requests_total", **ok) + 1
    assert _sample(after, "translator_requests_total", **bad) == _sample(before, "translator_requests_total", **bad) + 1
    sentences = "translator_sentences_total"
    assert _sample(after, sentences, pair="de-en") == _sample(before, sentences, pair="de-en") + 2
    count = "translator_request_seconds_count"
    assert _sample(after, count, endpoint="/v1/translate") == _sample(before, count, endpoint="/v1/translate") + 2
    assert _sample(after, "translator_batch_sentences_count", pair="de-en", lane="light") >= 1


def test_every_response_has_a_request_id(pairs_app: Flask) -> None:
    client = pairs_app.test_client()
    given = client.get("/v1/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/v1/nowhere", headers={"X-Request-ID": "bad id with spaces"})
    assert made.status_code == 404 and len(made.headers["X-Request-ID"]) == 32
    assert client.post("/v1/translate", data="{").headers["X-Request-ID"]


def test_log_lines_name_their_request(pairs_app: Flask, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    """A worker's log format (serve.server) names the request id of the request a line belongs to."""
    import logging

    from serve.server import _log_with_request_ids

    _log_with_request_ids()
    logger = logging.getLogger("serve")
    try:
        service = service_of(pairs_app, "de", "en")

        def explode(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise RuntimeError("boom")

        monkeypatch.setattr(service, "summary", explode)
        response = pairs_app.test_client().post(
            "/v1/translate", json={"text": "Hund.", "source": "de"}, headers={"X-Request-ID": "rid-7"}
        )
        assert response.status_code == 500 and response.headers["X-Request-ID"] == "rid-7"
        assert "[request rid-7] serve.app: unhandled error on POST /v1/translate" in capsys.readouterr().err
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
