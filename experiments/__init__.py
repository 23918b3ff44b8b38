"""Experiment tooling for the lever study (see experiments/RESULTS.md)."""
