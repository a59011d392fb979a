#!/usr/bin/env bash
# smoke.sh: CLI checks of the biasamp program — help, exit codes, the paper's Fig. 10 at n = inf against its closed form, byte-identical tables
# for 1 and 2 threads, plotting. Bad inputs (exit 2, file:line, nothing left behind) are all in
# tests/cli/bad_inputs.sh. Ends with "N passed, N failed"; exits non-zero on any failure.
set -u
BIN=${BIASAMP_BIN:-build/biasamp}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$ROOT/tests/cli/lib.sh" # counters, ok, bad, expect, grep_in, summary

# expect CODE DESCRIPTION -- command...: runs the command, checks the exit code; output in $T/out,
# $T/err.
# grep_in FILE PATTERN DESCRIPTION

# --- help, version, usage -----------------------------------------------------------------------
expect 0 "--help" -- "$BIN" --help
grep_in "$T/out" "sim" "--help lists commands"
expect 0 "--version" -- "$BIN" --version
grep_in "$T/out" "^biasamp [0-9]" "--version format"
for c in sim theory decompose sweep explore lesson plot tokenizer gpt2 lean quality experiment corpus neurons report help; do
    expect 0 "$c --help" -- "$BIN" $c --help
done
expect 0 "help sim" -- "$BIN" help sim
grep_in "$T/out" "sim.weight" "sim --help lists config keys"

# --- the paper's Fig. 10 at n = inf equals Beta(1 + 3*2^g, 1 + 2*2^g) -----------------------------
expect 0 "fig10 n=inf" -- "$BIN" sim configs/paper-fig10-wmle.ini -s sim.n=inf -o "$T/f10inf" --no-plot -q
awk -F, '
    /^#/ { next }
    !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
    { g = $c["generation"]; a = 1 + 3 * 2^g; b = 1 + 2 * 2^g
      ea = ($c["a"] - a) / a; eb = ($c["b"] - b) / b
      if (ea < -1e-6 || ea > 1e-6 || eb < -1e-6 || eb > 1e-6) bad = 1; rows++ }
    END { exit (bad || rows != 11) }' "$T/f10inf/generations.csv" && ok || bad "fig10 n=inf closed form"
grep_in "$T/f10inf/generations.csv" "^# kind=sim_generations" "kind metadata"
grep_in "$T/f10inf/generations.csv" "^# seed=20240601" "seed metadata"
grep_in "$T/f10inf/config.ini" "^n = inf" "effective config written"
# the effective config reproduces the run
expect 0 "rerun from effective config" -- "$BIN" sim "$T/f10inf/config.ini" -o "$T/f10inf2" --no-plot -q
cmp -s <(grep -v '^# command=' "$T/f10inf/generations.csv") <(grep -v '^# command=' "$T/f10inf2/generations.csv") && ok || bad "effective config does not reproduce"

# --- byte-identical tables for 1 and 2 threads ----------------------------------------------------
OMP_NUM_THREADS=1 "$BIN" sim configs/paper-fig10-wmle.ini -s sim.replicates=8 -s sim.n=2000 -o "$T/t1" --no-plot -q
OMP_NUM_THREADS=2 "$BIN" sim configs/paper-fig10-wmle.ini -s sim.replicates=8 -s sim.n=2000 -o "$T/t2" --no-plot -q
for f in generations.csv population.csv density.csv; do
    cmp -s <(grep -v -e '^# command=' -e '^# threads=' "$T/t1/$f") \
           <(grep -v -e '^# command=' -e '^# threads=' "$T/t2/$f") && ok || bad "$f differs between 1 and 2 threads"
done
grep_in "$T/t2/generations.csv" "^# threads=2" "threads metadata"

# --- plots ------------------------------------------------------------------------------------------
expect 0 "plot png" -- "$BIN" plot "$T/t1/generations.csv" "$T/moments.png" --with "$T/t1/population.csv"
head -c 8 "$T/moments.png" | od -An -c | grep -q 'P   N   G' && ok || bad "plot png is not a PNG"
expect 0 "plot svg" -- "$BIN" plot "$T/t1/density.csv" "$T/density.svg"
grep_in "$T/density.svg" "<svg" "plot svg content"
expect 0 "plot terminal" -- "$BIN" plot --term "$T/t1/generations.csv"
grep_in "$T/out" "generation" "terminal plot drawn"
BIASAMP_GNUPLOT=/nonexistent/gnuplot expect 1 "gnuplot missing" -- "$BIN" plot "$T/t1/generations.csv" "$T/y.png"
grep_in "$T/err" "gnuplot" "gnuplot missing message"
[ -e "$T/y.png" ] && bad "gnuplot failure left output" || ok
expect 0 "sim with figures" -- "$BIN" sim configs/paper-fig11-mle.ini -s sim.replicates=4 -o "$T/f11" -q
for f in params.png moments.png density.png; do [ -s "$T/f11/$f" ] && ok || bad "figure $f missing"; done
ls "$T"/f11/*.part >/dev/null 2>&1 && bad "partial files left" || ok

# --- gpt2: formats, generation, perplexity ---------------------------------------------------------
expect 0 "gpt2 init" -- "$BIN" gpt2 init "$T/m.ckpt" --layers 2 --heads 2 --channels 32 --context 64 --seed 3
expect 0 "gpt2 convert safetensors" -- "$BIN" gpt2 convert "$T/m.ckpt" "$T/m.safetensors"
expect 0 "gpt2 convert llm.c" -- "$BIN" gpt2 convert "$T/m.safetensors" "$T/m.bin"
expect 0 "gpt2 info" -- "$BIN" gpt2 info "$T/m.bin"
grep_in "$T/out" "2 layers, 2 heads, 32 channels" "gpt2 info content"
if [ -f "${BIASAMP_CACHE:-$HOME/.cache/biasamp}/gpt2-bpe/encoder.json" ]; then
    for f in m.ckpt m.safetensors m.bin; do
        "$BIN" gpt2 generate "$T/$f" -p "The senator said" -n 8 >"$T/gen_$f.txt" 2>"$T/err" && ok || bad "gpt2 generate $f"
    done
    cmp -s "$T/gen_m.ckpt.txt" "$T/gen_m.bin.txt" && cmp -s "$T/gen_m.ckpt.txt" "$T/gen_m.safetensors.txt" && ok || bad "generation differs between formats"
    grep_in "$T/gen_m.ckpt.txt" "^The senator said" "generation echoes the prompt"
    expect 0 "gpt2 generate --weights bf16" -- "$BIN" gpt2 generate "$T/m.ckpt" -p "The senator said" -n 8 --weights bf16
    grep_in "$T/out" "^The senator said" "bf16 generation echoes the prompt"
    echo "The senator said that the bill would pass the house on Tuesday." >"$T/text.txt"
    expect 0 "gpt2 perplexity" -- "$BIN" gpt2 perplexity "$T/m.ckpt" "$T/text.txt"
    # an untrained model is close to uniform over 50,257 tokens
    awk '{ if ($2 > 0.8 * 50257 && $2 < 1.25 * 50257) ok = 1 } END { exit !ok }' "$T/out" && ok || bad "untrained perplexity not near the vocabulary size: $(cat "$T/out")"
else
    echo "SKIP gpt2 generate/perplexity: GPT-2 BPE files absent (run make deps)"
fi

# --- report: numbers and claims from CSVs; absent result sets are "not run" ----------------------
mkdir -p "$T/rep"
"$BIN" sim configs/paper-fig10-wmle.ini -s sim.replicates=8 -o "$T/rep/fig10" --no-plot -q
expect 0 "report" -- "$BIN" report "$T/rep" -o "$T/repout"
grep_in "$T/repout/claims.md" "Weighted MLE amplifies bias.*agrees" "report claim from Fig. 10"
grep_in "$T/repout/claims.md" "distinct sets | not run" "report marks absent sets as not run"
grep_in "$T/repout/results.md" "| 10 | " "report Fig. 10 table"

# --- corpus without data: a runtime failure (exit 1), nothing left ---------------------------------
BIASAMP_DATA=/nonexistent expect 1 "corpus no data" -- "$BIN" corpus -o "$T/c2"
[ -e "$T/c2" ] && bad "corpus failure left output" || ok

summary
