"""Every package one server holds, by language pair: which package answers a request.

``--model`` names package directories, or folders whose subfolders are packages (``artifacts/``); each
package is loaded once per worker and gets its own :class:`~serve.service.TranslationService` (its own
batcher lanes). A request names its pair with ``source`` and ``target`` (ISO 639 codes); a server with one
package needs neither, and one of the two is enough when it picks a single package.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from serve.gate import WorkerGates
from serve.glossaries import load_glossaries
from serve.schema import ApiError
from serve.service import Pair, TranslationService, pair_of
from serve.settings import Settings
from translator.glossary import Glossary
from translator.langcode import LanguageCodeError, normalise_code
from translator.package import METADATA, PackageError, check_device
from translator.translate import Translator


def package_dirs(paths: Sequence[str | Path]) -> list[Path]:
    """The package directories named by ``paths``: a directory with a package's metadata is one; any other
    directory stands for the packages directly inside it (sorted by name). PackageError for a path that is
    neither, or a folder without packages."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if (path / METADATA).is_file() or not path.is_dir():
            found.append(path)  # a missing path fails to load below, naming itself
            continue
        inside = sorted(p for p in path.iterdir() if (p / METADATA).is_file())
        if not inside:
            raise PackageError(f"{path}: not a model package, and no model packages inside it")
        found += inside
    return found


def load_translators(paths: Sequence[str | Path], quantize: str | None, device: str = "cpu") -> list[Translator]:
    """Load every package of ``paths`` onto ``device`` ("cpu", "cuda" or "cuda:N"); PackageError naming the
    package that fails, or two packages of one pair (which of them should answer would be a guess), or a
    CUDA device on a machine without one."""
    check_device(device)
    translators: dict[Pair, tuple[Path, Translator]] = {}
    for path in package_dirs(paths):
        try:
            translator = Translator.load(path, device=device, quantize=quantize)
        except PackageError as err:
            raise PackageError(str(err) if str(path) in str(err) else f"{path}: {err}") from None
        pair = pair_of(translator)
        if pair in translators:
            raise PackageError(f"{path} and {translators[pair][0]} both translate {pair[0]}->{pair[1]}; keep one")
        translators[pair] = (path, translator)
    return [translator for _, translator in translators.values()]


def _request_code(code: str | None) -> str | None:
    """A request's language code in canonical form (ApiError 400 when it is not a BCP 47 tag)."""
    try:
        return None if code is None else normalise_code(code)
    except LanguageCodeError as err:
        raise ApiError(400, str(err)) from None


def _pair_names(pairs: Sequence[Pair]) -> str:
    return ", ".join(f"{s}->{t}" for s, t in pairs)


class Catalog:
    """The services of a server, one per language pair (read-only after start-up)."""

    def __init__(self, translators: Sequence[Translator], settings: Settings) -> None:
        if not translators:
            raise PackageError("no model package given")
        self.settings = settings
        gates = WorkerGates(settings.decode_slots_per_worker)  # shared by every package of this worker
        services = [TranslationService(t, settings, gates) for t in translators]
        self.services = {service.pair: service for service in services}
        self.glossaries = load_glossaries(settings.glossary_dir)  # by pair and name (serve.glossaries)

    def glossary_names(self) -> list[str]:
        """The names of the stored glossaries of the served pairs (what ``glossary_id`` may name)."""
        return sorted({name for pair in self.pairs for name in self.glossaries.get(pair, {})})

    def stored_glossary(self, service: TranslationService, name: str) -> Glossary:
        """The stored glossary ``name`` of the service's pair; ApiError 400 naming the ones there are."""
        stored = self.glossaries.get(service.pair, {})
        if name not in stored:
            there = ", ".join(sorted(stored)) or "none"
            raise ApiError(400, f"no glossary {name!r} for this pair; it has: {there}")
        return stored[name]

    @property
    def pairs(self) -> list[Pair]:
        return list(self.services)

    @property
    def ready(self) -> bool:
        return all(service.ready for service in self.services.values())

    def resolve(self, source: str | None, target: str | None) -> TranslationService:
        """The service of the pair a request names (either code may be left out when the other one, or the
        server's single package, decides; codes are read by ``translator.langcode``, so ``pt_br`` names
        ``pt-BR``); ApiError 400 naming the pairs there are otherwise."""
        source, target = _request_code(source), _request_code(target)
        matches = [pair for pair in self.services if source in (None, pair[0]) and target in (None, pair[1])]
        if len(matches) == 1:
            return self.services[matches[0]]
        if not matches:
            asked = f"{source or '*'}->{target or '*'}"
            raise ApiError(400, f"no model for {asked}; this server translates {_pair_names(self.pairs)}")
        raise ApiError(
            400,
            f"this server translates {_pair_names(matches)}: name the pair with 'source' and 'target'",
        )

    def has_reverse(self, service: TranslationService) -> bool:
        """Whether this server holds the package of ``service``'s opposite pair."""
        source, target = service.pair
        return (target, source) in self.services

    def reverse_of(self, service: TranslationService) -> TranslationService:
        """The service of the opposite pair (for alignments that combine both directions); ApiError 400 naming
        the pairs there are when the server does not hold it."""
        source, target = service.pair
        if (target, source) not in self.services:
            raise ApiError(
                400,
                f"'symmetrise' needs a {target}->{source} model beside {source}->{target}; "
                f"this server translates {_pair_names(self.pairs)}",
            )
        return self.services[(target, source)]

    def languages(self) -> dict[str, Any]:
        """``GET /v1/languages``: every pair with its package's name and scores, and every source language
        with its targets (the shape LibreTranslate clients read)."""
        pairs = [
            {**service.pair_info(), "glossaries": sorted(self.glossaries.get(pair, {}))}
            for pair, service in self.services.items()
        ]
        sources: dict[str, list[str]] = {}
        for source, target in self.pairs:
            sources.setdefault(source, []).append(target)
        languages = [{"code": code, "targets": sorted(targets)} for code, targets in sorted(sources.items())]
        return {"pairs": pairs, "languages": languages}

    def load(self) -> dict[str, Any]:
        """Work in flight in this worker, summed over the pairs (as ``TranslationService.load``)."""
        loads = [service.load() for service in self.services.values()]
        return {key: sum(load[key] for load in loads) for key in loads[0]}

    def close(self) -> None:
        for service in self.services.values():
            service.close()


__all__ = ["Catalog", "Pair", "load_translators", "package_dirs", "pair_of"]
