#!/usr/bin/env bash
# kill_campaign.sh: SIGKILL campaign. Runs `sim` (Monte Carlo), `sweep` and the CI-sized
# `experiment` uninterrupted once each, then TRIALS times (round robin over the three) kills a run
# with SIGKILL at a random moment, sometimes kills its resume too, resumes it to the end and
# compares every output file with the uninterrupted run's byte for byte. Compared: every CSV table,
# config.ini, command.txt, and for the experiment the checkpoints, token files, vocabulary and
# classifier files too. Excluded, explicitly: figures (none are drawn, --no-plot); the experiment's
# wall-time column `seconds` of generations.csv (column 16, the only wall time in any table) and its
# two wall-time bookkeeping files state.txt and base.txt (they hold `seconds`). Core dumps are
# enabled (ulimit -c unlimited); a crash of any run fails the trial and keeps its folder.
#   TRIALS=N (default 24)  SEED=S (the kill moments; default from the clock, printed)
#   ONLY="sim sweep experiment" (a subset of the commands)
#   KEEP=1 keeps the work folder. Ends with a summary line and "N passed, N failed".
set -u
BIN=${BIASAMP_BIN:-build/biasamp}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
TRIALS=${TRIALS:-24}
SEED=${SEED:-$(date +%s)}
RANDOM=$SEED
DATA=${BIASAMP_DATA:-$ROOT/../shared/data}
export BIASAMP_DATA=$DATA OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
ulimit -c unlimited 2>/dev/null || true
T=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] && echo "work folder $T"
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
# a private copy: a rebuild during the campaign cannot mix two binaries into one comparison
cp "$BIN" "$T/biasamp" && BIN=$T/biasamp
. "$ROOT/tests/cli/lib.sh" # counters, ok, bad, expect, grep_in, summary

CMDS=()
for c in ${ONLY:-sim sweep experiment}; do
    if [ "$c" = experiment ] && [ ! -f "$DATA/abp/articles.jsonl.gz" ]; then
        echo "SKIP experiment trials: $DATA/abp/articles.jsonl.gz absent"
    else
        CMDS+=("$c")
    fi
done
# the run of each command (into ./out of the current folder, so the recorded command lines match);
# exec, so that a background run's $! is biasamp itself (call it in a subshell or with &)
run_cmd() { # CMD [resume]
    case $1 in
    sim) exec "$BIN" sim "$ROOT/configs/paper-fig10-wmle.ini" -s sim.replicates=1500 -s sim.n=2000 \
        -s sim.trajectories=true -o out --no-plot -q ${2:+--resume} ;;
    sweep) exec "$BIN" sweep "$ROOT/configs/sweep-categorical.ini" -g sim.n=4:60:5:log \
        -g sim.boost=0.005:0.5:5:log -s sim.replicates=400 -s sim.generations=200 -o out \
        --no-plot -q ${2:+--resume} ;;
    experiment) if [ -n "${2:-}" ]; then exec "$BIN" experiment --resume -o out --no-plot -q
        else exec "$BIN" experiment "$ROOT/configs/ci-experiment.ini" -o out --no-plot -q; fi ;;
    esac
}
# the files compared, relative to out/ (sorted); wall-time files excluded
outputs() { (cd "$1" && find . -type f ! -name '*.png' ! -name '*.svg' ! -name state.txt \
    ! -name base.txt ! -name 'core*' | sort); }
# the file as compared: generations.csv of the experiment without its `seconds` column
view() { # CMD FILE DIR
    if [ "$1" = experiment ] && [ "$2" = ./generations.csv ]; then
        awk -F, -v OFS=, '/^#/ { print; next } { $16 = ""; print }' "$3/$2"
    else
        cat "$3/$2"
    fi
}

declare -A DUR
for c in "${CMDS[@]}"; do
    mkdir -p "$T/ref_$c"
    t0=$(date +%s%N)
    if (cd "$T/ref_$c" && run_cmd "$c" >"$T/ref_$c.log" 2>&1); then ok; else
        bad "uninterrupted $c: $(head -c 300 "$T/ref_$c.log")"
    fi
    DUR[$c]=$((($(date +%s%N) - t0) / 1000000))
    echo "reference $c: ${DUR[$c]} ms, $(outputs "$T/ref_$c/out" | wc -l) files"
done

# one trial: kill at a random moment in [0, 1.1 x the reference's duration], maybe kill the
# resume too, resume to the end, compare
survived=0
crashes=0
declare -A TRIED SURV
for i in $(seq 1 "$TRIALS"); do
    c=${CMDS[$(((i - 1) % ${#CMDS[@]}))]}
    W=$T/trial_$i
    mkdir -p "$W"
    cd "$W"
    kills=$((1 + RANDOM % 2))
    log=""
    crashed=0
    for k in $(seq 1 $kills); do
        ms=$(((RANDOM * 32768 + RANDOM) % (DUR[$c] * 11 / 10 + 1)))
        if [ "$k" -eq 1 ]; then run_cmd "$c" >"run$k.log" 2>&1 &
        else run_cmd "$c" resume >"run$k.log" 2>&1 & fi
        pid=$!
        sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        rc=$?
        log="$log kill@${ms}ms(rc $rc)"
        # 137 = killed by us; 0 = finished first; 2 = a resume found nothing to continue
        if [ "$rc" -ne 137 ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then crashed=1; fi
    done
    (run_cmd "$c" resume) >final.log 2>&1
    rc=$?
    # a run killed before it recorded anything (no config.ini yet): the resume says so (exit 2);
    # what a user does then is to run it again
    if [ "$rc" -eq 2 ] && [ ! -e out/config.ini ]; then
        rm -rf out
        (run_cmd "$c") >final.log 2>&1
        rc=$?
        log="$log restarted"
    fi
    [ "$rc" -ne 0 ] && crashed=1
    TRIED[$c]=$((${TRIED[$c]:-0} + 1))
    diffs=""
    if [ "$crashed" -eq 0 ]; then
        if [ "$(outputs out)" != "$(outputs "$T/ref_$c/out")" ]; then
            diffs="file sets differ: $(diff <(outputs out) <(outputs "$T/ref_$c/out") | grep '^[<>]' | head -3 | tr '\n' ' ')"
        else
            while read -r f; do
                cmp -s <(view "$c" "$f" out) <(view "$c" "$f" "$T/ref_$c/out") || diffs="$diffs $f"
            done < <(outputs out)
        fi
    fi
    cores=$(find "$W" -name 'core*' -type f 2>/dev/null | head -3 | tr '\n' ' ')
    if [ "$crashed" -eq 0 ] && [ -z "$diffs" ] && [ -z "$cores" ]; then
        survived=$((survived + 1))
        SURV[$c]=$((${SURV[$c]:-0} + 1))
        ok
        [ "${KEEP:-0}" = 1 ] || rm -rf "$W"
    else
        [ -n "$cores" ] && crashes=$((crashes + 1))
        bad "trial $i ($c):$log final rc $rc; cores: ${cores:-none}; differing: ${diffs:-none}; $(tail -c 300 final.log)"
        KEEP=1
    fi
    cd "$ROOT"
done
summary=""
for c in "${CMDS[@]}"; do summary="$summary $c ${SURV[$c]:-0}/${TRIED[$c]:-0}"; done
echo "kill campaign (seed $SEED): $TRIALS trials, $survived survived, $crashes crashed;$summary"
[ "$fail" -gt 0 ] && echo "work folder kept: $T"
summary
