#!/usr/bin/env bash
# Checkpoint averaging and checkpoint ensembles of one finished run, scored on val (beam 5, alpha 0.6).
#   bash experiments/checkpoint_levers.sh NAME        (NAME: a run in runs/NAME kept epoch checkpoints)
# Writes packages to artifacts/levers/NAME-*/ and appends every score to experiments/results.jsonl.
set -euo pipefail
name=${1:?usage: checkpoint_levers.sh NAME}
py=${PY:-.venv/bin/python}
run=runs/$name
out=artifacts/levers
cfg=$run/config.yaml
mapfile -t epochs < <(ls "$run"/checkpoints/epoch-*.ckpt | sort)
[ "${#epochs[@]}" -ge 3 ] || { echo "error: $run keeps fewer than 3 epoch checkpoints" >&2; exit 2; }
sweep() { $py -m experiments.sweep --beams 5 --alphas 0.6 "$@"; }

$py -m training.export --config "$cfg" --checkpoint "$run/checkpoints/best.ckpt" --out "$out/$name-best" >/dev/null
sweep --model "$out/$name-best" --name "$name best.ckpt"
for n in 2 3 5; do
  [ "${#epochs[@]}" -ge "$n" ] || continue
  $py -m training.average --out "$out/$name-avg$n.ckpt" "${epochs[@]: -$n}"
  $py -m training.export --config "$cfg" --checkpoint "$out/$name-avg$n.ckpt" --out "$out/$name-avg$n" >/dev/null
  sweep --model "$out/$name-avg$n" --name "$name average of last $n epochs"
done
members=()
for ckpt in "${epochs[@]: -3}"; do
  e=$(basename "$ckpt" .ckpt)
  $py -m training.export --config "$cfg" --checkpoint "$ckpt" --out "$out/$name-$e" >/dev/null
  members+=("$out/$name-$e")
done
sweep --model "${members[@]}" --name "$name ensemble of last 3 epochs"
