#!/usr/bin/env bash
# explore_tmux.sh: types into a live `biasamp explore` in a detached tmux session and reads the
# screen: the prompt, TAB completion of a key and of a command, a listing of ambiguous keys, line
# editing (Ctrl-C drops a line), history (Up), a run with its progress line, a text plot, quit and
# the history file.
# Skips (exit 0) with a message when tmux is absent. Ends with "N passed, N failed"; exits non-zero
# on any failure.
set -u
BIN=${BIASAMP_BIN:-build/biasamp}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
if ! command -v tmux >/dev/null 2>&1; then
    echo "explore_tmux.sh: skipped (tmux not installed; apt-get install tmux)"
    exit 0
fi
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
if [ ! -x "$BIN" ]; then
    echo "FAIL: no executable $BIN"
    echo "0 passed, 1 failed"
    exit 1
fi
T=$(mktemp -d)
SOCK="$T/tmux.sock" # a private server: nothing of the user's tmux is touched
S=explore
tm() { tmux -S "$SOCK" "$@"; }
cleanup() {
    tm kill-server >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
. "$ROOT/tests/cli/lib.sh" # counters, ok, bad, expect, grep_in, summary

screen() { tm capture-pane -p -t "$S" -S -200 2>/dev/null; }
alive() { tm has-session -t "$S" 2>/dev/null; }
# wait_for PATTERN DESCRIPTION [SECONDS]: polls the screen until PATTERN (fixed string) shows.
wait_for() {
    local i n=$(( ${3:-30} * 10 )) # 30 s: generous, for a loaded machine
    for ((i = 0; i < n; i++)); do
        if screen | grep -qF -- "$1"; then ok; return 0; fi
        alive || break
        sleep 0.1
    done
    bad "$2: '$1' not on the screen:"
    screen | tail -15
    return 1
}
# prompt_count: how many prompts the screen shows (to wait for the next one).
prompt_count() { screen | grep -c '^explore>'; }
wait_prompts() {
    local i
    for ((i = 0; i < 300; i++)); do
        [ "$(prompt_count)" -ge "$1" ] && return 0
        alive || break
        sleep 0.1
    done
    bad "no prompt number $1"
    return 1
}

cat >"$T/small.ini" <<'EOF'
[sim]
family = gaussian
n = 100
generations = 6
replicates = 20
seed = 7
weight = tilt
lambda = 0.1
snapshots = 0 5
[data]
family = gaussian
params = 0 1
[pretrained]
n = inf
EOF

tm new-session -d -s "$S" -x 120 -y 50 \
    "env BIASAMP_CACHE='$T/cache' TERM=xterm '$BIN' explore '$T/small.ini'; echo EXPLORE_EXIT=\$?; sleep 30"
if ! wait_for "explore>" "the prompt"; then
    echo "$pass passed, $fail failed"
    exit 1
fi
wait_for "'help' lists the commands" "the greeting"

# TAB completes a key: "set sim.gam<TAB> 2" becomes "set sim.gamma 2"
tm send-keys -t "$S" "set sim.gam" Tab
wait_for "explore> set sim.gamma" "TAB completed the key on the line"
tm send-keys -t "$S" " 2" Enter
wait_for "sim.gamma = 2" "TAB completed sim.gamma"
# a key without its section completes too: "lamb<TAB>" -> sim.lambda
tm send-keys -t "$S" "show lamb" Tab
wait_for "explore> show sim.lambda" "TAB replaced lamb on the line"
tm send-keys -t "$S" Enter
wait_for "sim.lambda = 0.1" "TAB completed lamb to sim.lambda"
# TAB completes a command: "ru<TAB>" -> "run "
tm send-keys -t "$S" "ru" Tab
wait_for "explore> run" "TAB completed the command on the line"
tm send-keys -t "$S" Enter
wait_for "run 1: gaussian, weight tilt, replace, n = 100 x 20 replicates" "TAB completed run"
wait_for "replicates 20/20 done in" "the Monte Carlo progress line"
wait_for "Monte Carlo in" "the run finished"
# two TABs on an ambiguous key list the candidates
n=$(prompt_count)
tm send-keys -t "$S" "show k" Tab Tab
wait_for "data.k" "TAB TAB listed data.k"
wait_for "sim.k" "TAB TAB listed sim.k"
# Ctrl-C drops the half-typed line and gives a new prompt
tm send-keys -t "$S" C-c
wait_prompts $((n + 1))
tm send-keys -t "$S" "show sim.n" Enter
wait_for "samples at generation 0" "a command after Ctrl-C"
if screen | grep -qF "unknown key 'k'"; then bad "Ctrl-C did not drop the line"; else ok; fi
# a bad value is an error line and the REPL goes on
tm send-keys -t "$S" "set sim.gamma -3" Enter
wait_for "error: set: sim.gamma: -3 is out of range" "bad value: an error line"
# history: Up Up Up recalls "run" (after "set sim.gamma -3" and "show sim.n")
tm send-keys -t "$S" Up Up Up Enter
wait_for "run 2: gaussian" "Up recalled run"
# a text plot in the pane
tm send-keys -t "$S" "plot bias" Enter
wait_for "population map (n = inf)" "plot draws in the terminal"
wait_for "+-------" "plot: the frame"
# quit: exit status 0 and the history file written
tm send-keys -t "$S" "quit" Enter
wait_for "EXPLORE_EXIT=0" "quit exits with 0"
if grep -qF "sim.gamma" "$T/cache/explore_history" 2>/dev/null; then ok; else bad "history file not written"; fi

summary
