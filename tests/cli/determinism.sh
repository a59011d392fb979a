#!/usr/bin/env bash
# determinism.sh: same seed => identical output bytes with OMP_NUM_THREADS=1 and 2, one case per
# long-running command: sim, sweep, decompose, theory, gpt2 pretrain, gpt2 finetune, lean train,
# quality train, neurons (the authors' tables); with DET_FULL=1 (.ci/run) also experiment (the CI
# config, two setups), neurons on that experiment folder and corpus (the whole of
# Article-Bias-Prediction encoded).
# Every output file is compared byte for byte, except, explicitly: the `# threads=` metadata line
# (it records the thread count), the wall-time columns `seconds` (gpt2's OUT.log.csv column 3, the
# experiment's generations.csv column 16) and the experiment's wall-time files state.txt and
# base.txt. The kernel variant is the same in both runs (README promises no identity across
# variants). Ends with "determinism: N commands" and "N passed, N failed".
set -u
BIN=${BIASAMP_BIN:-build/biasamp}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DATA=${BIASAMP_DATA:-$ROOT/../shared/data}
export BIASAMP_DATA=$DATA OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ncmd=0
. "$ROOT/tests/cli/lib.sh" # counters, ok, bad, expect, grep_in, summary
HAVE_ABP=0
[ -f "$DATA/abp/articles.jsonl.gz" ] && HAVE_ABP=1

# the file as compared: no `# threads=` line; wall-time columns blanked
view() { # FILE
    case $1 in
    *.log.csv) grep -v '^# threads=' "$1" | awk -F, -v OFS=, '/^#/ { print; next } { $3 = ""; print }' ;;
    */generations.csv) if grep -q '^# kind=experiment_generations' "$1"; then
        grep -v '^# threads=' "$1" | awk -F, -v OFS=, '/^#/ { print; next } { $16 = ""; print }'
        else grep -v '^# threads=' "$1"; fi ;;
    *.csv | *.ini) grep -v '^# threads=' "$1" ;;
    *) cat "$1" ;;
    esac
}
files() { (cd "$1" && find . -type f ! -name '*.png' ! -name '*.svg' ! -name state.txt ! -name base.txt | sort); }

# det NAME -- command...: runs the command in $T/NAME/t1 and t2 (1 and 2 threads; outputs relative
# to the folder) and compares every file the runs wrote
det() {
    local name=$1
    shift 2
    ncmd=$((ncmd + 1))
    local why="" t0=$(date +%s)
    for n in 1 2; do
        mkdir -p "$T/$name/t$n"
        (cd "$T/$name/t$n" && OMP_NUM_THREADS=$n "$@" >"$T/$name/log$n" 2>&1) || why="$why; run with $n thread(s) failed: $(tail -c 300 "$T/$name/log$n")"
    done
    echo "  $name: $(($(date +%s) - t0)) s"
    if [ -z "$why" ]; then
        if [ "$(files "$T/$name/t1")" != "$(files "$T/$name/t2")" ]; then
            why="different files: $(diff <(files "$T/$name/t1") <(files "$T/$name/t2") | grep '^[<>]' | head -3 | tr '\n' ' ')"
        elif [ -z "$(files "$T/$name/t1")" ]; then
            why="no output"
        else
            while read -r f; do
                cmp -s <(view "$T/$name/t1/$f") <(view "$T/$name/t2/$f") || why="$why $f"
            done < <(files "$T/$name/t1")
            [ -n "$why" ] && why="differ between 1 and 2 threads:$why"
        fi
    fi
    if [ -z "$why" ]; then ok; else bad "$name: $why"; fi
}

det sim -- "$BIN" sim "$ROOT/configs/paper-fig10-wmle.ini" -s sim.replicates=300 -s sim.n=500 \
    -s sim.trajectories=true -o out --no-plot -q
det sweep -- "$BIN" sweep "$ROOT/configs/sweep-categorical.ini" -g sim.n=4:60:3:log \
    -g sim.boost=0.005:0.5:3:log -s sim.replicates=70 -s sim.generations=30 -o out --no-plot -q
det decompose -- "$BIN" decompose "$ROOT/configs/decompose-gaussian.ini" -s sim.replicates=70 \
    -o out --no-plot -q
det theory -- "$BIN" theory "$ROOT/configs/theory-gaussian-tilt.ini" -s sim.replicates=70 -o out --no-plot -q
if [ -d "$DATA/paper-reference/Mechanistic_Interpretation" ]; then
    det neurons_tables -- "$BIN" neurons --tables "$DATA/paper-reference/Mechanistic_Interpretation" \
        -o out --no-plot -q
fi
# gpt2: a token file of 40 documents over a 512-token vocabulary (EOT 511)
if command -v python3 >/dev/null; then
    python3 -c "
import struct, random
r = random.Random(5); t = []
for d in range(40): t += [r.randrange(511) for _ in range(r.randrange(20, 90))] + [511]
open('$T/d.tok', 'wb').write(b'BIASTOK\0' + struct.pack('<IIQI', 1, 512, len(t), 2) + b'\0' * 4 +
                             b''.join(struct.pack('<H', x) for x in t))"
    P=(--layers 2 --heads 2 --channels 32 --context 64 --batch 4 --steps 6)
    det gpt2_pretrain -- "$BIN" gpt2 pretrain out.ckpt -d "$T/d.tok" --vocab-size 512 "${P[@]}"
    "$BIN" gpt2 init "$T/base.ckpt" --layers 2 --heads 2 --channels 32 --context 64 --vocab-size 512 >/dev/null
    det gpt2_finetune -- "$BIN" gpt2 finetune "$T/base.ckpt" out.ckpt -d "$T/d.tok" --steps 4 --batch 4 --seq 64
else
    echo "SKIP gpt2 pretrain/finetune cases: python3 absent (token file)"
fi
if [ "$HAVE_ABP" = 1 ]; then
    det lean_train -- "$BIN" lean train -o lean.bin -n 1500 -b 16 -i 60
    det quality_train -- "$BIN" quality train -o tqi.bin -M 400 -n 120 -t 60 -S 4
    if [ "${DET_FULL:-0}" = 1 ]; then
        det experiment -- "$BIN" experiment "$ROOT/configs/ci-experiment.ini" \
            -s "experiment.setups=replace preserve" -o out --no-plot -q
        det neurons_experiment -- "$BIN" neurons "$T/experiment/t1/out" -o out --no-plot -q
        det corpus -- "$BIN" corpus -o out -q
    else
        echo "SKIP experiment, neurons on an experiment and corpus (DET_FULL=1; .ci/run)"
    fi
else
    echo "SKIP lean, quality, experiment, neurons-experiment and corpus cases: $DATA/abp absent"
fi

echo "determinism: $ncmd commands"
summary
