#!/usr/bin/env bash
# experiment.sh: `biasamp experiment` end to end at CI size (configs/ci-experiment.ini: every setup,
# 3 generations, a 2-layer model) — every column finite and in range for every setup and generation,
# one row each; the side tables (articles, activations, checkpoints, texts); a run killed mid-way
# and resumed gives the same rows (all but `seconds`) without duplicates; refusals with exit code 2.
# Skips without Article-Bias-Prediction. Ends with "N passed, N failed"; about a minute on 2 cores.
set -u
BIN=${BIASAMP_BIN:-build/biasamp}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DATA=${BIASAMP_DATA:-../shared/data}
if [ ! -f "$DATA/abp/articles.jsonl.gz" ]; then
    echo "SKIP experiment.sh: $DATA/abp/articles.jsonl.gz absent"
    echo "0 passed, 0 failed"
    exit 0
fi
export BIASAMP_DATA=$DATA OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$ROOT/tests/cli/lib.sh" # counters, ok, bad, expect, grep_in, summary
CFG=configs/ci-experiment.ini
SETUPS="0 1 3 5 6 7"
G=3

# --- a full run --------------------------------------------------------------------------------
if "$BIN" experiment "$CFG" -o "$T/a" --no-plot -q >"$T/out" 2>"$T/err"; then ok; else
    bad "experiment run: $(head -c 400 "$T/err")"
fi
A=$T/a/generations.csv
if [ -f "$A" ] && [ ! -f "$A.part" ]; then ok; else bad "generations.csv not complete"; fi
grep -q '^# kind=experiment_generations' "$A" 2>/dev/null && ok || bad "kind metadata"
grep -q '^# setup_codes=replace=0,accumulate=1,preserve=3,overfit=5,center=6,center_preserve=7' \
    "$A" 2>/dev/null && ok || bad "setup_codes metadata"

# every column of every (setup, generation): present, finite, in range; one row each
check_table() { # FILE -> prints problems, one per line
    awk -F, -v setups="$SETUPS" -v G="$G" '
        /^#/ { next }
        !h { h = 1; n = NF; for (i = 1; i <= NF; i++) col[$i] = i; next }
        {
            if (NF != n) { print "row " NR ": " NF " cells"; next }
            for (i = 1; i <= NF; i++)
                if ($i !~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/) print "row " NR " column " i ": " $i
            k = $col["setup"] "," $col["generation"]; seen[k]++
            s = $col["share_left"] + $col["share_center"] + $col["share_right"]
            p = $col["p_left_mean"] + $col["p_center_mean"] + $col["p_right_mean"]
            if (s < 0.999999 || s > 1.000001) print "row " NR ": shares sum to " s
            if (p < 0.999 || p > 1.001) print "row " NR ": mean probabilities sum to " p
            if ($col["tqi_mean"] < 0 || $col["tqi_mean"] > 3) print "row " NR ": tqi " $col["tqi_mean"]
            if ($col["ppl_mean"] <= 1) print "row " NR ": ppl " $col["ppl_mean"]
            if ($col["tqi_ci95"] < 0 || $col["ppl_ci95"] < 0) print "row " NR ": negative CI"
            if ($col["tokens"] <= 0 || $col["train_loss"] <= 0) print "row " NR ": tokens/loss"
            if ($col["seconds"] < 0) print "row " NR ": seconds"
            a = ($col["setup"] >= 6) ? 12 : 18
            if ($col["articles"] != a) print "row " NR ": articles " $col["articles"]
            if ($col["generation"] == 0 && $col["bias"] != 0) print "row " NR ": bias at gen 0"
        }
        END {
            ns = split(setups, S, " ")
            for (j = 1; j <= ns; j++)
                for (g = -1; g < G; g++)
                    if (seen[S[j] "," g] != 1) print "setup " S[j] " generation " g ": " seen[S[j] "," g] + 0 " rows"
            if (!h) print "no header"
        }' "$1"
}
problems=$(check_table "$A")
if [ -z "$problems" ]; then ok; else bad "generations.csv: $(echo "$problems" | head -5)"; fi
rows=$(grep -vc '^#' "$A")
[ "$rows" -eq $((6 * (G + 1) + 1)) ] && ok || bad "generations.csv has $rows lines, expected $((6 * (G + 1) + 1))"
# shared generation 0: replace, preserve, accumulate and overfit report the same texts
g0=$(awk -F, '!/^#/ && $2 == 0 && $1 <= 5 { print $3 "," $10 "," $12 }' "$A" | sort -u | wc -l)
[ "$g0" -eq 1 ] && ok || bad "generation 0 not shared ($g0 distinct rows)"

# side tables
art=$(grep -vc '^#' "$T/a/articles.csv" 2>/dev/null || echo 0)
expect_art=$(( (G + 1) * (4 * 18 + 2 * 12) + 1 ))
[ "$art" -eq "$expect_art" ] && ok || bad "articles.csv has $art lines, expected $expect_art"
missing=0
for s in replace preserve accumulate overfit center center_preserve; do
    for g in -1 0 1 2; do [ -f "$T/a/activations/${s}_g$g.csv" ] || missing=$((missing + 1)); done
done
for g in 1 2; do
    for s in replace preserve accumulate overfit center center_preserve; do
        [ -f "$T/a/ckpt/${s}_g$g.ckpt" ] && [ -f "$T/a/synth/${s}_g$g.tok" ] || missing=$((missing + 1))
    done
done
[ -f "$T/a/ckpt/shared_g0.ckpt" ] && [ -f "$T/a/ckpt/shared_center_g0.ckpt" ] || missing=$((missing + 1))
[ "$missing" -eq 0 ] && ok || bad "$missing activation/checkpoint/text files missing"
# a per-generation checkpoint loads as a model
"$BIN" gpt2 info "$T/a/ckpt/replace_g2.ckpt" >"$T/out" 2>&1 && grep -q "2 layers" "$T/out" && ok ||
    bad "checkpoint of generation 2: $(head -c 200 "$T/out")"

# --- killed and resumed: the same rows, none twice -----------------------------------------------
R="-s eval.lean_model=$T/a/lean.bin -s eval.quality_model=$T/a/tqi.bin"
"$BIN" experiment "$CFG" -o "$T/b" --no-plot -q $R >"$T/outb" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    n=$(grep -c '^row' "$T/b/state.txt" 2>/dev/null)
    [ "${n:-0}" -ge 14 ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
before=$(grep -c '^row' "$T/b/state.txt" 2>/dev/null || echo 0)
if [ "$before" -ge 14 ] && [ "$before" -lt 24 ] && [ ! -f "$T/b/generations.csv" ]; then ok; else
    bad "kill did not land mid-run (state rows $before)"
fi
if "$BIN" experiment --resume -o "$T/b" >"$T/out" 2>"$T/err"; then ok; else
    bad "resume: $(head -c 400 "$T/err")"
fi
grep -q "rows ([0-9]* from an earlier run)" "$T/out" && ok || bad "resume summary line"
# figures (the resumed run draws them), with the published curves when the reference is present
if command -v "${BIASAMP_GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
    nfig=0
    for f in shares quality ppl tqi_dist; do [ -s "$T/b/experiment_$f.png" ] && nfig=$((nfig + 1)); done
    [ "$nfig" -eq 4 ] && ok || bad "$nfig of 4 figures drawn: $(grep figure "$T/out" | head -3)"
else
    echo "SKIP figures: gnuplot absent"
fi
strip() { grep -v "^#" "$1" | cut -d, -f1-15,17; } # in order: a resume emits rows as an uninterrupted run does
if [ -f "$T/b/generations.csv" ] && [ "$(strip "$A")" = "$(strip "$T/b/generations.csv")" ]; then ok; else
    bad "resumed table differs from the uninterrupted one"
    diff <(strip "$A") <(strip "$T/b/generations.csv" 2>/dev/null) | head -6
fi

# --- the neuron analysis on the experiment's model versions (biasamp neurons EXPERIMENT_DIR) ------
if "$BIN" neurons "$T/a" -o "$T/neu" --no-plot -q 2>"$T/err"; then ok; else
    bad "neurons EXPERIMENT_DIR: $(head -c 300 "$T/err")"
fi
if [ -f "$T/neu/neurons_summary.csv" ] && grep -q "^# source=$T/a" "$T/neu/neurons_summary.csv"; then ok; else
    bad "neurons summary missing or without its source"
fi
"$BIN" neurons "$T/a" --activation mlp --class center -o "$T/neu2" --no-plot -q 2>"$T/err" && ok ||
    bad "neurons --activation mlp: $(head -c 300 "$T/err")"
"$BIN" neurons "$T/none" -o "$T/neu3" -q 2>/dev/null
[ $? -eq 2 ] && [ ! -e "$T/neu3" ] && ok || bad "neurons on a missing experiment: exit 2, no output"

# --- gpt2 pretrain on a token file: the loss curve goes to OUT.log.csv, one row per step ----------
tok=$(ls "$T"/a/synth/*.tok 2>/dev/null | head -1)
if [ -n "$tok" ] && "$BIN" gpt2 pretrain "$T/p.ckpt" -d "$tok" --layers 1 --heads 2 --channels 16 \
    --context 32 --vocab-size 512 --steps 5 >/dev/null 2>"$T/err"; then
    rows=$(grep -v '^#' "$T/p.ckpt.log.csv" | tail -n +2 | wc -l)
    [ "$rows" -eq 5 ] && grep -q '^# kind=gpt2_train' "$T/p.ckpt.log.csv" && ok || bad "training log: $rows rows"
else
    bad "gpt2 pretrain: $(head -c 300 "$T/err")"
fi

# --- divergence: an absurd learning rate stops training (exit 1, the step and the loss named); the
# last good checkpoint stays on disk, byte for byte, and still loads (its weights are finite) -------
if [ -n "$tok" ]; then
    DV=(-d "$tok" --layers 1 --heads 2 --channels 16 --context 32 --vocab-size 512 --save-every 2)
    "$BIN" gpt2 pretrain "$T/dv.ckpt" "${DV[@]}" --steps 4 >/dev/null 2>&1 && cp "$T/dv.ckpt" "$T/good.ckpt"
    "$BIN" gpt2 pretrain "$T/dv.ckpt" "${DV[@]}" --steps 60 --resume --lr 10 --lr-final 10 >/dev/null 2>"$T/err"
    rc=$?
    if [ $rc -eq 1 ] && grep -q "diverged at step [0-9]* of 60: loss [0-9.e+]*" "$T/err"; then ok; else
        bad "divergence: exit $rc, $(head -c 300 "$T/err")"
    fi
    cmp -s "$T/dv.ckpt" "$T/good.ckpt" && ok || bad "divergence overwrote the last good checkpoint"
    "$BIN" gpt2 convert "$T/dv.ckpt" "$T/dv.safetensors" >/dev/null 2>&1 && ok || bad "kept checkpoint does not load"
fi

# --- refusals -------------------------------------------------------------------------------------
"$BIN" experiment "$CFG" -o "$T/a" -q >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "resume" "$T/err" && ok || bad "rerun into a finished folder not refused"
printf '[experiment]\nsetups = replace frobnicate\n' >"$T/bad.ini"
"$BIN" experiment "$T/bad.ini" -o "$T/c" -q >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "bad.ini:2" "$T/err" && grep -q frobnicate "$T/err" && ok ||
    bad "unknown setup: $(head -c 200 "$T/err")"
"$BIN" experiment "$CFG" -o "$T/d" -q -s base.heads=3 >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "base.heads" "$T/err" && ok || bad "heads not dividing channels"
"$BIN" experiment "$CFG" -o "$T/e" -q -s data.mix=0.5,0.5,0.5 >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "data.mix" "$T/err" && ok || bad "mix not summing to 1"

summary
