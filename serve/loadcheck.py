"""``python -m serve.loadcheck DIR [auto|none|int8]``: exit 0 if the package loads (quantized as asked;
default auto: as its metadata says) and translates a sentence, else print one line ``error: ...`` to stderr
and exit 1. Run in a child process by :func:`serve.server.check_model`."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    """Load the package named by ``argv[0]`` (quantization ``argv[1]``) and translate one short sentence greedily."""
    if len(argv) not in (1, 2):
        print("error: usage: python -m serve.loadcheck MODEL_DIR [auto|none|int8]", file=sys.stderr)
        return 2
    quantize = None if len(argv) == 1 or argv[1] == "auto" else argv[1]
    try:
        from translator.translate import Translator

        translator = Translator.load(argv[0], quantize=quantize)
        translator.translate(["test"], beam_size=1)
    except Exception as err:  # noqa: BLE001 - any failure means the model is not servable
        message = " ".join(str(err).split()) or type(err).__name__
        print(f"error: cannot load model package {argv[0]!r}: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
