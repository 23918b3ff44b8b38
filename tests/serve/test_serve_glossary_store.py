"""Glossaries stored on the server: listed per pair, named by glossary_id, overridden by a request's own
entries, and a bad file stops start-up with one line naming the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_testlib import assert_error

from serve.__main__ import main as serve_main
from serve.app import create_app, service_of
from serve.glossaries import load_glossaries
from serve.settings import Settings
from translator.glossary import GlossaryError

TEXT = "Ein Hund läuft."


@pytest.fixture()
def stored_app(translator, tmp_path: Path):  # noqa: ANN001, ANN201
    (tmp_path / "medical.de.en.tsv").write_text("Hund\tHundeterm\nKatze\tcat\n", encoding="utf-8")
    (tmp_path / "other.fr.en.tsv").write_text("chien\tdog\n", encoding="utf-8")  # a pair this server lacks
    app = create_app(translator, Settings(glossary_dir=str(tmp_path)))
    yield app
    service_of(app).close()


def test_stored_glossaries_are_listed_and_applied(stored_app) -> None:  # noqa: ANN001
    client = stored_app.test_client()
    assert client.get("/v1/languages").get_json()["pairs"][0]["glossaries"] == ["medical"]
    item = client.post("/v1/translate", json={"text": TEXT, "glossary_id": "medical"}).get_json()["translations"][0]
    assert [a["target"] for a in item["glossary"]] == ["Hundeterm"] and "Hundeterm" in item["translation"]
    spec = client.get("/v1/openapi.json").get_json()
    assert spec["components"]["schemas"]["TranslateRequest"]["properties"]["glossary_id"]["enum"] == ["medical", None]


def test_the_requests_entries_win(stored_app) -> None:  # noqa: ANN001
    body = {"text": TEXT, "glossary_id": "medical", "glossary": [{"source": "hund", "target": "Eigenterm"}]}
    item = stored_app.test_client().post("/v1/translate", json=body).get_json()["translations"][0]
    assert [a["target"] for a in item["glossary"]] == ["Eigenterm"] and "Hundeterm" not in item["translation"]


def test_an_unknown_glossary_id_is_a_400_naming_the_ones_there_are(stored_app) -> None:  # noqa: ANN001
    answer = stored_app.test_client().post("/v1/translate", json={"text": TEXT, "glossary_id": "legal"})
    assert_error(answer, 400, "no glossary 'legal'", "medical")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("medical.de.en.tsv", b"Hund\tdog\nKatze\n", "medical.de.en.tsv, line 2"),
        ("medical.de.en.tsv", b"Hund\tdog\n\xff\tx\n", "not UTF-8"),
        ("medical.de.en.tsv", b"Hund\tdog\nhund\thound\n", "line 2"),
        ("medical-de-en.tsv", b"Hund\tdog\n", "named <name>.<source>.<target>.tsv"),
        ("medical.xx.en.tsv", b"Hund\tdog\n", "not a BCP 47"),
    ],
)
def test_a_bad_glossary_file_is_refused_naming_it(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(GlossaryError, match=message):
        load_glossaries(str(tmp_path))


def test_the_server_does_not_start_with_a_bad_glossary(tiny_package: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    (tmp_path / "medical.de.en.tsv").write_bytes(b"Hund\tdog\nKatze\n")
    code = serve_main(["--model", str(tiny_package), "--glossary-dir", str(tmp_path), "--port", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "medical.de.en.tsv, line 2" in err
