"""Benchmarks: each module prints numbers (and ``bench.bench`` writes JSON to ``bench/results/``); none is a
test. Run them as modules from the repository root, e.g. ``python -m bench.bench --model artifacts/default``."""
