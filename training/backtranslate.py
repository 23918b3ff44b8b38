"""Back-translation: synthetic training pairs from monolingual text of the target language.

    python -m training.backtranslate --model artifacts/en-de --input mono.en --out runs/bt/synthetic.tsv

Each line of ``--input`` (target-language text, say English captions) is translated by the *reverse*
package (English->German) in batches of ``--batch-size`` lines; every output line is
``synthetic source <TAB> original line``, ready for ``data.train`` of the forward direction (German->English).

``--sample`` draws each translation from the model's distribution instead of beam search (sampled
back-translation, Edunov et al. 2018; ``--seed`` makes it repeatable). ``--forward`` writes
``input line <TAB> translation`` instead: the package translates the training sources, and its outputs become the
targets of sequence-level knowledge distillation (Kim & Rush 2016).

Resumable: lines are appended a batch at a time and flushed to disk, so a killed run leaves complete lines
(and at most one cut-off line, which is dropped on restart). A restart checks that the lines already written
belong to this input, in order, and continues after the last one: no line is duplicated or missing. Bad
input (missing, empty or not UTF-8; an output that belongs to another input) is one ``error:`` line and exit
status 2, and nothing is written. ``--device cuda`` decodes on a GPU (a device this machine lacks is such an error).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from tqdm import tqdm

from training.run_lock import exclusive
from translator.config import QUANTIZATIONS
from translator.errors import bad_input
from translator.package import PackageError, check_device
from translator.translate import Translator


class BacktranslationError(ValueError):
    """The input or the output to resume cannot be used."""


def _clean(line: str) -> str:
    """One line as a TSV field: tabs become spaces, surrounding space goes."""
    return line.replace("\t", " ").strip()


def input_lines(path: Path) -> Iterator[str]:
    """The cleaned lines of a UTF-8 text file, streamed."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield _clean(line)


def check_input(path: Path) -> int:
    """The number of lines of ``path``; BacktranslationError unless it is a non-empty UTF-8 text file (the
    whole file is read once, so a bad byte anywhere is found before anything is written)."""
    if not path.is_file():
        raise BacktranslationError(f"input not found: {path}")
    try:
        count = sum(1 for _ in input_lines(path))
    except UnicodeDecodeError as err:
        raise BacktranslationError(f"{path}: not UTF-8 text (byte {err.start} of a line)") from None
    if count == 0:
        raise BacktranslationError(f"{path} is empty: there is nothing to translate")
    return count


def _input_field(written: str, forward: bool) -> str:
    """The input line an output line holds: its first field (``forward``) or its last."""
    return written.partition("\t")[0] if forward else written.rpartition("\t")[2]


def resume_point(out: Path, source: Path, total: int, forward: bool = False) -> int:
    """How many of the ``total`` input lines ``out`` already holds: its complete lines (a cut-off last line is
    removed), each of which must hold the input line of the same number (BacktranslationError otherwise)."""
    if not out.is_file():
        return 0
    data = out.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    try:
        done = complete.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise BacktranslationError(f"{out} is not this tool's UTF-8 output; name another --out") from None
    for number, (written, line) in enumerate(zip(done, input_lines(source)), start=1):
        if _input_field(written, forward) != line:
            raise BacktranslationError(f"{out} line {number} is not a translation of {source} line {number}")
    if len(done) > total:
        raise BacktranslationError(f"{out} has more lines than {source}")
    if len(complete) != len(data):  # the line a kill cut off: translated again
        with out.open("r+b") as handle:
            handle.truncate(len(complete))
    return len(done)


def backtranslate(
    translate: Callable[[list[str]], list[str]],
    source: Path,
    out: Path,
    batch: int,
    total: int,
    done: int,
    forward: bool = False,
) -> int:
    """Translate (``translate``: a batch of lines -> their translations) the lines of ``source`` after the first
    ``done`` (already in ``out``; ``check_input`` and ``resume_point`` give ``total`` and ``done``) and append
    them, translation first (``forward``: last); returns the lines written now."""  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = itertools.islice(input_lines(source), done, None)
    with out.open("a", encoding="utf-8") as handle, tqdm(total=total, initial=done, unit="line") as bar:
        while chunk := list(itertools.islice(lines, batch)):
            outputs = [_clean(text) for text in translate(chunk)]
            rows = zip(chunk, outputs) if forward else zip(outputs, chunk)
            handle.write("".join(f"{a}\t{b}\n" for a, b in rows))
            handle.flush()
            bar.update(len(chunk))
    return total - done


def _decoder(translator: Translator, args: argparse.Namespace, done: int) -> Callable[[list[str]], list[str]]:
    """Lines -> translations: by beam search, or sampled (``--sample``: the k-th batch of the input draws with
    seed ``--seed`` + k, so a run is repeatable, and one resumed after ``done`` lines that a kill left between
    two batches writes what an unbroken run would have)."""
    if args.sample:
        counter = itertools.count(args.seed + done // args.batch_size)
        return lambda chunk: translator.sample(chunk, batch_size=args.batch_size, seed=next(counter))
    return lambda chunk: [t.text for t in translator.translate(chunk, beam_size=args.beam_size,
                                                                batch_size=args.batch_size)]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        required=True,
        nargs="+",
        help="the package that translates the input's language (several: an ensemble)",
    )
    parser.add_argument("--input", required=True, type=Path, help="monolingual text, one sentence a line")
    parser.add_argument("--out", required=True, type=Path, help="TSV of synthetic source <TAB> input line")
    parser.add_argument("--batch-size", type=int, default=64, help="lines per decode call")
    parser.add_argument("--beam-size", type=int, help="default: the package's")
    parser.add_argument("--sample", action="store_true", help="sample each translation instead of beam search")
    parser.add_argument("--seed", type=int, default=1, help="with --sample: the seed of the draws")
    parser.add_argument("--forward", action="store_true", help="write input<TAB>translation (distillation)")
    parser.add_argument("--device", default="cpu", help="where the package decodes: cpu, cuda or cuda:N")
    parser.add_argument(
        "--quantize", choices=QUANTIZATIONS, help="weights to decode with (default: the package's; int8: CPU only)"
    )
    args = parser.parse_args(argv)
    try:
        if args.batch_size < 1:
            raise BacktranslationError("--batch-size must be at least 1")
        check_device(args.device)
        total = check_input(args.input)
        with exclusive(args.out.with_name(args.out.name + ".lock"), f"{args.out} (a back-translation)"):
            done = resume_point(args.out, args.input, total, args.forward)  # a foreign output: refused first
            translator = Translator.load(args.model, device=args.device, quantize=args.quantize)
            decode = _decoder(translator, args, done)
            written = backtranslate(decode, args.input, args.out, args.batch_size, total, done, args.forward)
    except (BacktranslationError, PackageError, OSError, ValueError) as err:
        return bad_input(err)
    print(f"{args.out}: {written} lines translated now", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
