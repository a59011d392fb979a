#!/usr/bin/env bash
# valgrind.sh: memcheck (--leak-check=full, --error-exitcode) on a representative subset of biasamp —
# CLI paths (sim, plot, tokenizer, gpt2, neurons, corpus; good and bad input) and Check suites run
# in-process (CK_FORK=no). Any invalid access, uninitialised use or leak fails the run. Ends with
# "N passed, N failed". Builds an OpenMP-free binary first (libgomp's thread pool confuses memcheck):
#   tests/valgrind.sh                 (builds with: make BUILD=build/vg OMP=0)
#   VG_BUILD=DIR tests/valgrind.sh    (use binaries already in DIR)
#   VG_SUITES="cfg csvlog" tests/valgrind.sh
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${VG_BUILD:-build/vg}
SUITES=${VG_SUITES:-"err cfg csvlog rng stats safetensors gpt2_io corpus neurons tokenizer"}
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
if [ -z "${VG_BUILD:-}" ]; then
    make --no-print-directory BUILD="$BUILD" OMP=0 "$BUILD/biasamp" "$BUILD/check_biasamp" >/dev/null ||
        { echo "valgrind.sh: build failed" >&2; exit 1; }
fi
BIN=$BUILD/biasamp
CHECK=$BUILD/check_biasamp
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
VG=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes --quiet)
pass=0
fail=0
n=0

# vg CODE NAME -- command...: runs the command under memcheck; it must exit CODE (the command's own
# verdict; F: any failure, 1 or 2) and memcheck must report nothing (exit 99 otherwise). Log in
# $T/vg_N.log.
vg() {
    local code=$1 name=$2
    shift 3
    n=$((n + 1))
    local log=$T/vg_$n.log
    "${VG[@]}" --log-file="$log" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    local want=$code
    [ "$code" = F ] && { [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; } && want=$rc
    if [ "$rc" = "$want" ] && [ ! -s "$log" ]; then
        pass=$((pass + 1))
        printf '  ok    %s\n' "$name"
    else
        fail=$((fail + 1))
        printf '  FAIL  %s (exit %d, expected %d)\n' "$name" "$rc" "$code"
        head -c 3000 "$log"
        head -c 500 "$T/err"
    fi
}

echo "valgrind memcheck: CLI"
# sim: a small run with -s overrides, the effective config re-run, then the terminal plot
vg 0 "sim fig10 (small, -s overrides)" -- "$BIN" sim configs/paper-fig10-wmle.ini -s sim.replicates=2 \
    -s sim.n=200 -s sim.generations=3 -s "sim.snapshots=0 2" -o "$T/sim" --no-plot -q
vg 0 "sim from the effective config" -- "$BIN" sim "$T/sim/config.ini" -o "$T/sim2" --no-plot -q
vg 0 "sim gaussian (small)" -- "$BIN" sim configs/gaussian-tilt-replace.ini -s sim.replicates=2 \
    -s sim.generations=2 -s "sim.snapshots=0 1" -o "$T/simg" --no-plot -q
vg 0 "plot --term" -- "$BIN" plot --term "$T/sim/generations.csv"
vg 2 "sim missing config" -- "$BIN" sim "$T/none.ini" --no-plot
printf '[sim]\nn = 100\ncolour = red\n' >"$T/bad.ini"
vg 2 "sim unknown key" -- "$BIN" sim "$T/bad.ini" -o "$T/simbad" --no-plot
printf '[sim]\nn = 5\0\n' >"$T/nul.ini"
vg 2 "sim NUL byte" -- "$BIN" sim "$T/nul.ini" -o "$T/simnul" --no-plot
vg 2 "sim bad -s override" -- "$BIN" sim configs/paper-fig10-wmle.ini -s sim.n=1 -o "$T/sims" --no-plot
vg 2 "unknown command" -- "$BIN" frobnicate
vg 0 "--help" -- "$BIN" --help

# tokenizer: a trained vocabulary (always), GPT-2's when the cache has it
printf 'The committee said that the bill would pass next week. Prices went up again.\n' >"$T/doc.txt"
vg 0 "tokenizer train" -- "$BIN" tokenizer train -o "$T/vocab" -n 300 -m 1 "$T/doc.txt"
vg 0 "tokenizer encode (trained)" -- "$BIN" tokenizer encode -v "$T/vocab" "$T/doc.txt"
"$BIN" tokenizer encode -v "$T/vocab" "$T/doc.txt" >"$T/ids.txt" 2>/dev/null
vg 0 "tokenizer decode (trained)" -- "$BIN" tokenizer decode -v "$T/vocab" "$T/ids.txt"
vg F "tokenizer missing vocabulary" -- "$BIN" tokenizer encode -v "$T/none" -t hi
printf '{"a": 0}' >"$T/vocab/encoder.json"
vg 2 "tokenizer bad encoder.json" -- "$BIN" tokenizer encode -v "$T/vocab" -t hi
GPT2_BPE=${BIASAMP_CACHE:-$HOME/.cache/biasamp}/gpt2-bpe
have_bpe=0
[ -f "$GPT2_BPE/encoder.json" ] && have_bpe=1
if [ $have_bpe -eq 1 ]; then
    vg 0 "tokenizer encode (GPT-2, EOT)" -- "$BIN" tokenizer encode -e -t "Hello <|endoftext|> world"
    printf '15496 995 50256 0 50256\n' >"$T/ids2.txt"
    vg 0 "tokenizer decode (GPT-2)" -- "$BIN" tokenizer decode "$T/ids2.txt"
    printf '15496 50257\n' >"$T/ids3.txt"
    vg 2 "tokenizer decode id out of range" -- "$BIN" tokenizer decode "$T/ids3.txt"
else
    echo "  skip  tokenizer with GPT-2's vocabulary (run make deps)"
fi

# gpt2 on a tiny model: init, the three formats, info, generate, perplexity, bad files
vg 0 "gpt2 init" -- "$BIN" gpt2 init "$T/m.ckpt" --layers 1 --heads 2 --channels 16 --context 16 --seed 3
vg 0 "gpt2 convert to safetensors" -- "$BIN" gpt2 convert "$T/m.ckpt" "$T/m.safetensors"
vg 0 "gpt2 convert to llm.c" -- "$BIN" gpt2 convert "$T/m.safetensors" "$T/m.bin"
vg 0 "gpt2 info (llm.c)" -- "$BIN" gpt2 info "$T/m.bin"
if [ $have_bpe -eq 1 ]; then
    vg 0 "gpt2 generate" -- "$BIN" gpt2 generate "$T/m.ckpt" -p "The senator said" -n 4
    vg 0 "gpt2 generate (sampling)" -- "$BIN" gpt2 generate "$T/m.safetensors" -p "Hi" -n 4 -t 0.8 --top-k 5
    vg 0 "gpt2 perplexity" -- "$BIN" gpt2 perplexity "$T/m.bin" "$T/doc.txt"
fi
head -c 2000 "$T/m.bin" >"$T/trunc.bin"
vg 2 "gpt2 truncated .bin" -- "$BIN" gpt2 info "$T/trunc.bin"
head -c 3000 "$T/m.ckpt" >"$T/trunc.ckpt"
vg 2 "gpt2 truncated checkpoint" -- "$BIN" gpt2 info "$T/trunc.ckpt"
printf '\x10\x00\x00\x00\x00\x00\x00\x00{"a":{"dtype":"F32","shape":[9],"data_offsets":[0,36]}}' >"$T/bad.safetensors"
vg 2 "gpt2 bad safetensors" -- "$BIN" gpt2 info "$T/bad.safetensors"
printf 'not a model at all' >"$T/junk.ckpt"
vg 2 "gpt2 junk file" -- "$BIN" gpt2 info "$T/junk.ckpt"

# neurons on the authors' tables (shared data), and on broken tables
TABLES=${BIASAMP_DATA:-$ROOT/../shared/data}/paper-reference/Mechanistic_Interpretation
if [ -d "$TABLES" ]; then
    vg 0 "neurons --tables (released tables)" -- "$BIN" neurons --tables "$TABLES" -o "$T/neurons"
else
    echo "  skip  neurons --tables: no $TABLES"
fi
mkdir -p "$T/tables"
vg 2 "neurons --tables (empty folder)" -- "$BIN" neurons --tables "$T/tables" -o "$T/neurons2"

# corpus error paths
vg 2 "corpus bad mix" -- "$BIN" corpus -s corpus.mix="0.5 0.6" -o "$T/c1"
BIASAMP_DATA=/nonexistent vg 1 "corpus no data" -- "$BIN" corpus -o "$T/c2"

echo "valgrind memcheck: Check suites (CK_FORK=no)"
for s in $SUITES; do
    CK_FORK=no CK_RUN_SUITE=$s CK_DEFAULT_TIMEOUT=600 vg 0 "suite $s" -- "$CHECK"
done

echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
