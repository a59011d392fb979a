#!/usr/bin/env bash
# mpi.sh: `make MPI=1 test-mpi` — the MPI build on 2 ranks (mpirun --oversubscribe -n 2) against
# 1 rank: sim, decompose and sweep (Monte Carlo and n = inf grids, and --resume of a torn sweep)
# byte-identical, also to the default build's tables; gpt2 pretrain and the experiment trained
# data-parallel with losses within float tolerance (the largest difference is printed); the
# experiment's synthetic texts from a shared base model identical; commands that stay on one
# process refused; a failing rank failing the whole job with its message and exit code, without
# a hang. Ends with "N passed, N failed"; exits non-zero on any failure. About a minute on 2 cores.
set -u
BIN=${BIASAMP_BIN:-build/mpi/biasamp}
REF=${BIASAMP_REF_BIN:-build/biasamp}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$REF" ] && REF=$(cd "$(dirname "$REF")" && pwd)/$(basename "$REF")
DATA=${BIASAMP_DATA:-../shared/data}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$ROOT/tests/cli/lib.sh" # counters, ok, bad, expect, grep_in, summary
if ! command -v mpirun >/dev/null || ! "$BIN" --version | grep -q "MPI build"; then
    echo "FAIL: needs mpirun and the MPI build (make MPI=1); got $("$BIN" --version)"
    echo "0 passed, 1 failed"
    exit 1
fi
# run N DIR -- args: `biasamp args` on N ranks inside DIR (the same relative paths, hence the same
# "# command=" metadata, for every N); a hang is a failure (timeout)
run() {
    local n=$1 dir=$2
    shift 3
    mkdir -p "$dir"
    (cd "$dir" && timeout 300 mpirun --oversubscribe -n "$n" "$BIN" "$@" >out.txt 2>err.txt)
}
# same_tree A B WHAT: every file of A equal to B's, byte for byte
same_tree() { if diff -r "$1" "$2" >"$T/diff" 2>&1; then ok; else bad "$3: $(head -c 400 "$T/diff")"; fi; }
# same_csv A B WHAT: the tables equal but for the command line (another binary ran them)
same_csv() {
    if diff <(grep -v '^# command=' "$1") <(grep -v '^# command=' "$2") >"$T/diff"; then ok; else
        bad "$3: $(head -c 400 "$T/diff")"
    fi
}

# --- sim: replicates split over the ranks, tables byte-identical ---------------------------------
SIM=(sim "$ROOT/configs/gaussian-tilt-replace.ini" -s sim.replicates=333 -s sim.trajectories=1 -o out -q)
run 1 "$T/sim1" -- "${SIM[@]}" || bad "sim on 1 rank: $(head -c 300 "$T/sim1/err.txt")"
run 2 "$T/sim2" -- "${SIM[@]}" && ok || bad "sim on 2 ranks: $(head -c 300 "$T/sim2/err.txt")"
same_tree "$T/sim1/out" "$T/sim2/out" "sim, 2 ranks vs 1"
for f in generations.csv trajectories.csv params.png; do
    [ -s "$T/sim2/out/$f" ] && ok || bad "sim on 2 ranks: $f missing"
done
if [ -x "$REF" ]; then
    (cd "$T/sim1" && "$REF" "${SIM[@]/out/ref}" >/dev/null 2>&1) || bad "sim with the default build"
    for f in generations.csv population.csv density.csv trajectories.csv; do
        same_csv "$T/sim1/ref/$f" "$T/sim2/out/$f" "sim $f, 2 ranks vs the default build"
    done
fi
# the table and the progress line once (rank 0), not once per rank
run 2 "$T/sim3" -- "${SIM[@]:0:6}" -o out --no-plot
[ "$(grep -c '^tables in out/' "$T/sim3/out.txt")" -eq 1 ] && ok ||
    bad "sim on 2 ranks: the closing line $(grep -c '^tables in out/' "$T/sim3/out.txt") times"
BIASAMP_PROGRESS=1 run 2 "$T/sim4" -- "${SIM[@]:0:6}" -o out --no-plot
[ "$(grep -c 'replicates .* done in' "$T/sim4/err.txt")" -eq 1 ] && ok ||
    bad "sim on 2 ranks: progress $(grep -c 'done in' "$T/sim4/err.txt") times"

# --- decompose: each cell's replicates split ------------------------------------------------------
DEC=(decompose "$ROOT/configs/decompose-gaussian.ini" -s sim.replicates=301 -o out -q)
run 1 "$T/dec1" -- "${DEC[@]}" || bad "decompose on 1 rank: $(head -c 300 "$T/dec1/err.txt")"
run 2 "$T/dec2" -- "${DEC[@]}" && ok || bad "decompose on 2 ranks: $(head -c 300 "$T/dec2/err.txt")"
same_tree "$T/dec1/out" "$T/dec2/out" "decompose, 2 ranks vs 1"
[ -s "$T/dec2/out/decompose.csv" ] && ok || bad "decompose on 2 ranks wrote no decompose.csv"

# --- sweep: Monte Carlo points (replicates split) and n = inf points (points split) -------------
SWM=(sweep "$ROOT/configs/sweep-preserve.ini" -g sim.n=20:200:3 -g sim.lambda=-0.1:0.1:3
     -s sim.replicates=150 -o out -q)
SWI=(sweep "$ROOT/configs/sweep-preserve.ini" -g sim.rho=0.1:0.9:7 -g sim.lambda=-0.1:0.1:5 -o out -q)
run 1 "$T/swm1" -- "${SWM[@]}" || bad "MC sweep on 1 rank: $(head -c 300 "$T/swm1/err.txt")"
run 2 "$T/swm2" -- "${SWM[@]}" && ok || bad "MC sweep on 2 ranks: $(head -c 300 "$T/swm2/err.txt")"
same_tree "$T/swm1/out" "$T/swm2/out" "Monte Carlo sweep, 2 ranks vs 1"
run 1 "$T/swi1" -- "${SWI[@]}" || bad "n = inf sweep on 1 rank"
run 2 "$T/swi2" -- "${SWI[@]}" && ok || bad "n = inf sweep on 2 ranks: $(head -c 300 "$T/swi2/err.txt")"
same_tree "$T/swi1/out" "$T/swi2/out" "n = inf sweep, 2 ranks vs 1"
rows=$(grep -v '^#' "$T/swi2/out/sweep.csv" 2>/dev/null | tail -n +2 | wc -l)
[ "$rows" -eq 35 ] && ok || bad "n = inf sweep on 2 ranks: $rows rows, expected 35"
if [ -x "$REF" ]; then
    (cd "$T/swm1" && "$REF" "${SWM[@]/out/ref}" >/dev/null 2>&1) || bad "sweep with the default build"
    same_csv "$T/swm1/ref/sweep.csv" "$T/swm2/out/sweep.csv" "sweep.csv, 2 ranks vs the default build"
fi
# --resume on 2 ranks: a sweep cut after 4 rows and a torn fifth continues to the same bytes
mkdir -p "$T/swr/out"
cp "$T/swm1/out/config.ini" "$T/swr/out/"
[ -f "$T/swm1/out/command.txt" ] && cp "$T/swm1/out/command.txt" "$T/swr/out/"
awk '/^#/ {print; next} !h {print; h = 1; next} ++r <= 4 {print} r == 5 {printf "%s", substr($0, 1, 9)}' \
    "$T/swm1/out/sweep.csv" >"$T/swr/out/sweep.csv.part"
run 2 "$T/swr" -- "${SWM[@]:0:8}" -o out --resume && ok || bad "sweep --resume on 2 ranks: $(head -c 300 "$T/swr/err.txt")"
grep -q "5 computed now, 4 resumed" "$T/swr/out.txt" && ok || bad "resume counts: $(cat "$T/swr/out.txt")"
same_tree "$T/swm1/out" "$T/swr/out" "sweep resumed on 2 ranks vs uninterrupted on 1"

# --- one-process commands refused; help mentions MPI ------------------------------------------
run 2 "$T/ref" -- theory "$ROOT/configs/gaussian-tilt-replace.ini"
rc=$?
[ $rc -eq 2 ] && [ "$(grep -c 'runs on one process' "$T/ref/err.txt")" -eq 1 ] && ok ||
    bad "theory on 2 ranks: exit $rc, $(head -c 300 "$T/ref/err.txt")"
for c in sim sweep decompose gpt2 experiment; do
    "$BIN" $c --help | grep -q "mpirun -n N biasamp" && ok || bad "$c --help does not mention MPI"
done

# --- a failing rank fails the job: its message, its exit code, no hang ------------------------------
mkdir -p "$T/f1"
(cd "$T/f1" && timeout 120 mpirun --oversubscribe -n 1 "$BIN" "${SIM[@]}" : \
    -n 1 "$BIN" sim missing.ini -o out -q >out.txt 2>err.txt)
rc=$?
[ $rc -eq 2 ] && grep -q "biasamp sim (rank 1): cannot open config 'missing.ini'" "$T/f1/err.txt" && ok ||
    bad "rank 1 failing: exit $rc, $(head -c 300 "$T/f1/err.txt")"
mkdir -p "$T/f0"
(cd "$T/f0" && timeout 120 mpirun --oversubscribe -n 1 "$BIN" sweep missing.ini -o out -q : \
    -n 1 "$BIN" "${SWM[@]}" >out.txt 2>err.txt)
rc=$?
[ $rc -eq 2 ] && grep -q "^biasamp sweep: cannot open config 'missing.ini'" "$T/f0/err.txt" && ok ||
    bad "rank 0 failing: exit $rc, $(head -c 300 "$T/f0/err.txt")"

# --- GPT-2: the experiment (generation split, fine-tuning data-parallel) ---------------------------
if [ ! -f "$DATA/abp/articles.jsonl.gz" ]; then
    echo "SKIP the GPT-2 part: $DATA/abp/articles.jsonl.gz absent"
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
fi
export BIASAMP_DATA=$(cd "$DATA" && pwd)
EXP=(experiment "$ROOT/configs/ci-experiment.ini" -s experiment.setups=replace
     -s experiment.generations=2 -s eval.lean_max=300 --no-plot -q)
run 1 "$T/ex1" -- "${EXP[@]}" -o out || bad "experiment on 1 rank: $(head -c 300 "$T/ex1/err.txt")"
# the same base model and vocabulary on 2 ranks: the base model's texts (split over the ranks)
# must be the same tokens; the fine-tuned generations' losses equal within float tolerance
run 2 "$T/ex2" -- "${EXP[@]}" -s base.model="$T/ex1/out/base.ckpt" -s data.vocab="$T/ex1/out/vocab" \
    -o out && ok || bad "experiment on 2 ranks: $(head -c 300 "$T/ex2/err.txt")"
if cmp -s "$T/ex1/out/synth/base_g-1.tok" "$T/ex2/out/synth/base_g-1.tok"; then ok; else
    bad "the base model's synthetic texts differ between 1 and 2 ranks"
fi
# rows: every column but train_loss, tokens, seconds equal at generation -1; train_loss close after
awk -F, 'FNR == 1 {f++} /^#/ {next} !h[f] {for (i = 1; i <= NF; i++) c[f, $i] = i; h[f] = 1; next}
    {k = $(c[f, "setup"]) "," $(c[f, "generation"]); v[f, k] = $0; keys[k] = 1}
    END {
        for (k in keys) {
            split(v[1, k], a, ","); split(v[2, k], b, ",")
            g = a[c[1, "generation"]]
            for (i = 1; i <= length(a); i++) {
                if (i == c[1, "seconds"] || i == c[1, "tokens"] || i == c[1, "train_loss"]) continue
                if (g == -1 && a[i] != b[i]) print "generation -1 column " i ": " a[i] " vs " b[i]
            }
            if (g >= 0) {
                d = a[c[1, "train_loss"]] - b[c[2, "train_loss"]]; if (d < 0) d = -d
                if (!(d < 1e-4)) print "generation " g " train_loss " a[c[1, "train_loss"]] " vs " b[c[2, "train_loss"]]
                if (d > max) max = d
            }
        }
        printf "%.3g\n", max > maxfile
    }' maxfile="$T/exmax" "$T/ex1/out/generations.csv" "$T/ex2/out/generations.csv" >"$T/exdiff"
echo "experiment: largest |train_loss(1 rank) - train_loss(2 ranks)| = $(cat "$T/exmax")"
[ -s "$T/ex2/out/generations.csv" ] && [ ! -s "$T/exdiff" ] && ok || bad "experiment rows: $(head -c 400 "$T/exdiff")"

# --- gpt2 pretrain: data-parallel steps, the loss curve within float tolerance ---------------------
tok=$T/ex1/out/synth
PRE=(gpt2 pretrain p.ckpt -d "$tok/base_g-1.tok" -d "$tok/shared_g0.tok" -d "$tok/replace_g1.tok"
     --layers 2 --heads 2 --channels 32 --context 64 --batch 7 --steps 25 --save-every 10)
run 1 "$T/pt1" -- "${PRE[@]}" || bad "pretrain on 1 rank: $(head -c 300 "$T/pt1/err.txt")"
run 2 "$T/pt2" -- "${PRE[@]}" && ok || bad "pretrain on 2 ranks: $(head -c 300 "$T/pt2/err.txt")"
d=$(paste -d, <(grep -v '^#' "$T/pt1/p.ckpt.log.csv" | tail -n +2) \
              <(grep -v '^#' "$T/pt2/p.ckpt.log.csv" | tail -n +2) |
    awk -F, '{n++; d = $2 - $5; if (d < 0) d = -d; if (d > m) m = d; if ($1 != $4) bad = 1}
             END {if (n != 25 || bad) print "rows"; else printf "%.3g\n", m}')
echo "gpt2 pretrain: largest |loss(1 rank) - loss(2 ranks)| over 25 steps = $d"
# within tolerance, and not 0: the 7 rows of a step were really split 4 + 3 and the gradients
# summed (one process sums them in another order; a 0 means one rank did all the work)
awk -v d="$d" 'BEGIN {exit !(d + 0 < 1e-3 && d + 0 > 0 && d != "rows")}' && ok ||
    bad "pretrain losses 1 vs 2 ranks: largest difference '$d'"
[ -s "$T/pt2/p.ckpt" ] && [ "$(grep -c '^step' "$T/pt2/err.txt")" -eq 1 ] && ok ||
    bad "pretrain on 2 ranks: checkpoint or one step line per 50 steps ($(head -c 200 "$T/pt2/err.txt"))"
# rank 0 failing while rank 1 serves (an output folder that does not exist): exit 1, no hang
run 2 "$T/pt3" -- gpt2 pretrain no/such/dir/p.ckpt -d "$tok/base_g-1.tok" --layers 1 --heads 2 \
    --channels 16 --context 32 --steps 3
rc=$?
[ $rc -eq 1 ] && grep -q "cannot" "$T/pt3/err.txt" && ok ||
    bad "pretrain failing on rank 0: exit $rc, $(head -c 300 "$T/pt3/err.txt")"

summary
