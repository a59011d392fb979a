#!/usr/bin/env bash
# bench_mpi.sh: 1 rank against 2 ranks of the MPI build (make MPI=1) on this machine — a Monte
# Carlo sweep, a sim, and GPT-2 pretraining (data-parallel). OMP_NUM_THREADS=1 per rank, so
# "2 ranks" means two cores against one. Each case runs REPS times alternating 1 and 2 ranks; the
# fastest wall time of each counts (a shared machine's load only ever adds time). Prints the
# load average, the times, the speed-up, and checks the outputs (tables identical, losses close).
# Not a test. Skips without the MPI build.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${BIASAMP_MPI_BIN:-build/mpi/biasamp}
REPS=${REPS:-3}
if [ ! -x "$BIN" ] || ! command -v mpirun >/dev/null; then
    echo "skip: no MPI build ($BIN; make MPI=1) or no mpirun"
    exit 0
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
export OMP_WAIT_POLICY=passive BIASAMP_PROGRESS=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# timed N DIR -- args: wall seconds of `biasamp args` on N ranks in DIR (its output stays there)
timed() {
    local n=$1 dir=$2
    shift 3
    rm -rf "$dir"
    mkdir -p "$dir"
    local t0 t1
    t0=$(date +%s.%N)
    (cd "$dir" && mpirun --oversubscribe -n "$n" "$BIN" "$@" >out.txt 2>err.txt) ||
        { echo "failed: mpirun -n $n biasamp $*"; cat "$dir/err.txt"; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}
case_run() { # NAME -- args
    local name=$1
    shift 2
    local b1=999999 b2=999999 t
    for ((i = 0; i < REPS; i++)); do
        t=$(timed 1 "$T/$name.1" -- "$@"); b1=$(awk -v t="$t" -v b="$b1" 'BEGIN {print t < b ? t : b}')
        t=$(timed 2 "$T/$name.2" -- "$@"); b2=$(awk -v t="$t" -v b="$b2" 'BEGIN {print t < b ? t : b}')
    done
    printf "%-28s %8.2f s %8.2f s %8.2fx\n" "$name" "$b1" "$b2" "$(awk -v a="$b1" -v b="$b2" 'BEGIN {print a / b}')"
}

echo "machine: $(getconf _NPROCESSORS_ONLN) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start;" \
     "OMP_NUM_THREADS=1 per rank, best of $REPS"
printf "%-28s %10s %10s %9s\n" "case" "1 rank" "2 ranks" "speed-up"
case_run sweep-mc -- sweep "$ROOT/configs/sweep-preserve.ini" -g sim.n=50:400:4 \
    -g sim.lambda=-0.1:0.1:4 -s sim.replicates=2000 -o out -q --no-plot
diff -r "$T/sweep-mc.1/out" "$T/sweep-mc.2/out" >/dev/null && echo "  sweep.csv identical" ||
    echo "  sweep.csv DIFFERS"
case_run sim-20000-replicates -- sim "$ROOT/configs/gaussian-tilt-replace.ini" \
    -s sim.replicates=20000 -o out -q --no-plot
diff -r "$T/sim-20000-replicates.1/out" "$T/sim-20000-replicates.2/out" >/dev/null &&
    echo "  tables identical" || echo "  tables DIFFER"

DATA=${BIASAMP_DATA:-../shared/data}
if [ -f "$DATA/abp/articles.jsonl.gz" ]; then
    BIASAMP_DATA=$DATA "$BIN" corpus -s corpus.per_class=20 -s corpus.center_only=60 \
        -s corpus.quality=20 -o "$T/corpus" -q
    case_run gpt2-pretrain-6.8M -- gpt2 pretrain p.ckpt -d "$T/corpus/finetune.tok" --layers 2 \
        --heads 4 --channels 128 --context 128 --batch 8 --steps 10
    paste -d, <(grep -v '^#' "$T/gpt2-pretrain-6.8M.1/p.ckpt.log.csv" | tail -n +2) \
              <(grep -v '^#' "$T/gpt2-pretrain-6.8M.2/p.ckpt.log.csv" | tail -n +2) |
        awk -F, '{d = $2 - $5; if (d < 0) d = -d; if (d > m) m = d}
                 END {printf "  largest |loss difference| over the steps: %.3g\n", m}'
else
    echo "gpt2 pretrain: skipped ($DATA/abp/articles.jsonl.gz absent)"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
