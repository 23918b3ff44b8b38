"""``python -m serve.loadcheck DIRS [auto|none|int8|bf16 [DEVICE]]``: exit 0 if every package ``DIRS`` names (one
directory, several joined by ``os.pathsep``, or folders of packages) loads onto DEVICE (default cpu; cuda,
cuda:N) quantized as asked (default auto: as its metadata says) and translates a sentence, printing each
package's pair as ``source<TAB>target`` on stdout (catalog order), else print one line ``error: ...`` naming the
package to stderr and exit 1. Run in a child process by :func:`serve.server.check_model`."""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    """Load the packages named by ``argv[0]`` (quantization ``argv[1]``, device ``argv[2]``) and translate one
    short sentence greedily with each."""
    if len(argv) not in (1, 2, 3):
        print("error: usage: python -m serve.loadcheck MODEL_DIRS [auto|none|int8|bf16 [DEVICE]]", file=sys.stderr)
        return 2
    quantize = None if len(argv) == 1 or argv[1] == "auto" else argv[1]
    device = argv[2] if len(argv) == 3 else "cpu"
    paths = [path for path in argv[0].split(os.pathsep) if path]
    try:
        from serve.catalog import load_translators, pair_of

        translators = load_translators(paths, quantize, device)
    except Exception as err:  # noqa: BLE001 - any failure means a model is not servable
        message = " ".join(str(err).split()) or type(err).__name__
        print(f"error: cannot load model package: {message}", file=sys.stderr)
        return 1
    for translator in translators:
        try:
            translator.translate(["test"], beam_size=1)
        except Exception as err:  # noqa: BLE001
            message = " ".join(str(err).split()) or type(err).__name__
            print(
                f"error: model package {translator.metadata.get('name')!r} cannot translate: {message}", file=sys.stderr
            )
            return 1
    for translator in translators:
        print("\t".join(pair_of(translator)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
