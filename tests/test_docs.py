"""The documentation: a short README that is also the docs site's home page, a site that builds in strict mode,
every make target listed by ``make help`` and documented, and a layout table that matches the tree."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README_MAX_LINES = 250
PACKAGES = ("translator", "training", "serve")


def _phony_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    line = re.search(r"^\.PHONY: (.+)$", makefile, re.MULTILINE)
    assert line is not None
    return set(line.group(1).split())


def test_the_readme_is_short() -> None:
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) <= README_MAX_LINES


def test_the_docs_site_builds_in_strict_mode(tmp_path: Path) -> None:
    mkdocs = Path(sys.executable).with_name("mkdocs")
    command = [str(mkdocs)] if mkdocs.is_file() else [sys.executable, "-m", "mkdocs"]
    done = subprocess.run(
        [*command, "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "api" / "index.html").is_file()
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Two commands" in home and 'href="results/"' in home  # the README, its links made site-relative
    assert 'href="docs/' not in home


def test_the_home_page_is_the_readme_with_links_relative_to_the_docs_folder() -> None:
    sys.path.insert(0, str(REPO))
    try:
        from mkdocs_hooks import home_page
    finally:
        sys.path.remove(str(REPO))
    readme = "See [Results](docs/results.md#x) and [the API](docs/api.md); `docs/` stays in code."
    assert home_page(readme) == "See [Results](results.md#x) and [the API](api.md); `docs/` stays in code."
    assert not (REPO / "docs" / "index.md").exists()  # one home page: the README


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_help_lists_every_target_and_the_docs_describe_each() -> None:
    listed = subprocess.run(["make", "-s", "help"], cwd=REPO, check=True, capture_output=True, text=True).stdout
    names = {line.split()[0] for line in listed.splitlines() if line.strip()}
    assert _phony_targets() <= names
    documented = (REPO / "docs" / "development.md").read_text(encoding="utf-8")
    missing = [t for t in _phony_targets() if f"`make {t}" not in documented]
    assert not missing, f"targets without a line in docs/development.md: {missing}"


def test_the_layout_table_names_every_module_and_only_modules_that_exist() -> None:
    text = (REPO / "docs" / "development.md").read_text(encoding="utf-8")
    table = text[text.index("## Layout") : text.index("## Tests")]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z_/]+)/` \| (.+) \|$", table, re.MULTILINE)}
    for package in PACKAGES:
        for folder in {p.parent for p in (REPO / package).rglob("*.py")}:
            row = rows[str(folder.relative_to(REPO))]
            named = set(re.findall(r"`([a-z_0-9]+\.py)`", row))
            present = {p.name for p in folder.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
            assert named == present, f"{folder.relative_to(REPO)}: missing {present - named}, stale {named - present}"
