"""Glossaries: required translations of terms, applied through the word alignment (alignment replacement).

A glossary is a list of (source term, target term) entries. ``Glossary`` refuses blank, duplicated and
conflicting entries (one source term with two targets) with a ``GlossaryError`` that names them; a term
without a word character (only punctuation) is accepted and never matches. Matching is
case-insensitive and on whole words: a term of several words matches those words in sequence; at each word the
longest term that starts there wins, and matches go left to right without overlapping. Inflected forms are not
matched (``Hund`` does not match ``Hunde``).

``replace_terms`` puts the required target terms into a translation: the target words linked to the source
words a match overlaps (the translation's own words, by character span; runs of consecutive words) are
replaced by the term, the first run by the term and later runs
removed; a match whose words have no linked target word gets the term after the translation of the word before
it. Each match reports where its term now is.

The other method, constrained decoding, puts the terms in during the search (``term_constraints`` gives a
sentence's constraints, ``translator.constrained`` decodes under them, ``located_terms`` finds where they went).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from translator.alignment.projection import Link, Span, after_translation_before, covered_words, linked_targets, runs
from translator.constrained import Constraints
from translator.document import DocumentTranslation, document_links
from translator.special import UNK_ID
from translator.tokenizer import Tokenizer

WORD = re.compile(r"\w+(?:['’-]\w+)*")
REPLACE, CONSTRAIN = GLOSSARY_METHODS = ("replace", "constrain")  # alignment replacement (default), constrained


class GlossaryError(ValueError):
    """A glossary that cannot be used (empty, duplicated or conflicting entries)."""


def term_key(text: str) -> tuple[str, ...]:
    """The case-folded words of a term: what matching compares."""
    return tuple(word.casefold() for word in WORD.findall(text))


@dataclass(frozen=True)
class Entry:
    """One glossary entry: a source term and its required translation."""

    source: str
    target: str


class Glossary:
    """Entries keyed by their source words (case-folded); read-only once built."""

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        self.terms: dict[tuple[str, ...], Entry] = {}
        for number, (source, target) in enumerate(entries, start=1):
            key = term_key(source)
            if not source.strip() or not target.strip():
                raise GlossaryError(f"entry {number}: the source and the target term must not be blank")
            if not key:  # no word character: it can never match
                continue
            if key in self.terms:
                earlier = self.terms[key]
                kind = "duplicates" if earlier.target == target.strip() else "conflicts with"
                raise GlossaryError(f"entry {number} ({source!r}) {kind} the entry for {earlier.source!r}")
            self.terms[key] = Entry(" ".join(source.split()), " ".join(target.split()))
        self.longest = max((len(key) for key in self.terms), default=0)

    def __len__(self) -> int:
        return len(self.terms)

    def overridden_by(self, other: Glossary) -> Glossary:
        """This glossary with ``other``'s entries added, ``other`` winning where both have a source term."""
        merged = Glossary(())
        merged.terms = {**self.terms, **other.terms}
        merged.longest = max(self.longest, other.longest)
        return merged


@dataclass(frozen=True)
class Match:
    """A term found in the source: the entry, its source words (first, last) and its character span."""

    entry: Entry
    words: tuple[int, int]
    span: Span


def find_terms(text: str, glossary: Glossary) -> list[Match]:
    """The glossary's terms in ``text``, longest first at each word, left to right, not overlapping."""
    words = [(m.start(), m.end(), m.group().casefold()) for m in WORD.finditer(text)]
    found, i = [], 0
    while i < len(words):
        for length in range(min(glossary.longest, len(words) - i), 0, -1):
            entry = glossary.terms.get(tuple(w for _, _, w in words[i : i + length]))
            if entry is not None:
                found.append(Match(entry, (i, i + length - 1), (words[i][0], words[i + length - 1][1])))
                i += length
                break
        else:
            i += 1
    return found


@dataclass(frozen=True)
class Applied:
    """Where a matched term went: the match and the span of its target term in the new translation."""

    match: Match
    target_span: Span


def _edits(match: Match, source_words: Sequence[Span], target_words: Sequence[Span], links: Sequence[Link]):  # noqa: ANN202
    """(start, end, text) edits of the translation that put ``match``'s term in place."""
    linked = linked_targets(covered_words(match.span, source_words), links)
    if not linked:
        at = after_translation_before(match.span[0], source_words, target_words, links)
        return [(at, at, (" " if at else "") + match.entry.target + ("" if at else " "))]
    first, *later = runs(linked)
    edits = [(target_words[first[0]][0], target_words[first[1]][1], match.entry.target)]
    for start_word, end_word in later:  # later runs go; so does the space before each
        start = target_words[start_word][0]
        edits.append((start - 1 if start else start, target_words[end_word][1], ""))
    return edits


Edit = tuple[int, int, str]  # replace translation[start:end] by the text


def choose_edits(
    matches: Sequence[Match], source_words: Sequence[Span], target_words: Sequence[Span], links: Sequence[Link]
) -> list[tuple[Edit, Match]]:
    """The edits that put every match's term in place, in text order (a match whose edits would overlap an
    earlier match's is left out)."""
    chosen: list[tuple[Edit, Match]] = []
    taken: list[Span] = []
    for match in matches:
        edits = _edits(match, source_words, target_words, links)
        if any(a < end and start < b or (a == b == start) for a, b, _ in edits for start, end in taken):
            continue
        chosen += [(edit, match) for edit in edits]
        taken += [(a, b) for a, b, _ in edits]
    return sorted(chosen, key=lambda item: (item[0][0], item[0][1]))


def shifted(offset: int, edits: Sequence[tuple[Edit, Match]], at_end: bool) -> int:
    """Where an offset of the translation is after ``edits``; one inside an edited span moves to the start
    of its new text, or (``at_end``) to its end."""
    moved = offset
    for (a, b, text), _ in edits:
        if b <= offset and not (a == b == offset and not at_end):
            moved += len(text) - (b - a)
        elif a < offset < b:
            return moved - (offset - a) + (len(text) if at_end else 0)
    return moved


def replace_terms(
    translation: str,
    matches: Sequence[Match],
    source_words: Sequence[Span],
    target_words: Sequence[Span],
    links: Sequence[Link],
) -> tuple[str, list[Applied]]:
    """``translation`` with every match's required term in place of the words linked to it, and where each
    term went (a match whose edits would overlap an earlier match's is left out and not reported)."""
    return apply_edits(translation, choose_edits(matches, source_words, target_words, links))


def apply_edits(translation: str, edits: Sequence[tuple[Edit, Match]]) -> tuple[str, list[Applied]]:
    """``translation`` with ``edits`` (in text order) made, and where each term went."""
    out, cursor, shift, applied = [], 0, 0, []
    for (a, b, text), match in edits:
        out.append(translation[cursor:a])
        if text:
            start = a + shift + (1 if text.startswith(" ") else 0)
            applied.append(Applied(match, (start, start + len(match.entry.target))))
        out.append(text)
        shift += len(text) - (b - a)
        cursor = b
    out.append(translation[cursor:])
    return "".join(out), sorted(applied, key=lambda item: item.match.span)


def glossary_translation(
    document: DocumentTranslation, glossary: Glossary, link_rule: str
) -> tuple[str, list[Applied]]:
    """A translated text with the glossary's terms of its source put in by its word links (``link_rule``)."""
    source_words, target_words, links = document_links(document, link_rule)
    return replace_terms(document.text, find_terms(document.source, glossary), source_words, target_words, links)


def term_constraints(text: str, glossary: Glossary, tokenizer: Tokenizer) -> Constraints:
    """The constraints of constrained decoding for one source sentence: the target pieces of every term found,
    but for a term the target vocabulary cannot spell (an unknown piece would print as "⁇"): it is left out,
    and so not reported as applied."""
    pieces = (tuple(tokenizer.encode_target(match.entry.target)) for match in find_terms(text, glossary))
    return tuple(ids for ids in pieces if UNK_ID not in ids)


def located_terms(document: DocumentTranslation, glossary: Glossary) -> list[Applied]:
    """Where each term of ``document``'s source stands in its translation (decoded under the terms' constraints):
    the first occurrence, not yet taken, of its target as whole words (case as given); a term that is not there
    is not reported."""
    applied, taken = [], set()
    for match in find_terms(document.source, glossary):
        pattern = rf"(?<!\w){re.escape(match.entry.target)}(?!\w)"
        spot = next((m.span() for m in re.finditer(pattern, document.text) if m.span() not in taken), None)
        if spot is not None:
            taken.add(spot)
            applied.append(Applied(match, spot))
    return applied


def applied_json(applied: Sequence[Applied]) -> list[dict]:
    """The answer's account of the terms put in: entry and where it was found and where it went."""
    return [
        {"source": a.match.entry.source, "target": a.match.entry.target,
         "source_span": list(a.match.span), "target_span": list(a.target_span)}
        for a in applied
    ]  # fmt: skip


def read_glossary_file(path: str | Path) -> Glossary:
    """A glossary from a UTF-8 TSV file, one ``source<TAB>target`` entry a line (GlossaryError naming the file
    and line when it is missing, not UTF-8, not two columns, or an entry is refused)."""
    path = Path(path)
    if not path.is_file():
        raise GlossaryError(f"glossary file not found: {path}")
    entries = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                fields = line.rstrip("\r\n").split("\t")
                if len(fields) != 2:
                    raise GlossaryError(
                        f"{path}, line {number}: expected source<TAB>target, found {len(fields)} columns"
                    )
                entries.append((fields[0], fields[1]))
    except UnicodeDecodeError as err:
        raise GlossaryError(f"{path}: not UTF-8 text (byte {err.start} of a line)") from None
    try:
        return Glossary(entries)
    except GlossaryError as err:
        raise GlossaryError(f"{path}: {err}".replace("entry ", "line ", 1)) from None
