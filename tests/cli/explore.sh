#!/usr/bin/env bash
# explore.sh: scripted sessions of `biasamp explore` covering every command, bad input (unknown
# key, bad value, unknown command: one error line each, the session goes on), saved results that
# `biasamp sim` reproduces, and all six lessons end to end with their figures (small replicate
# counts). Ends with "N passed, N failed"; exits non-zero on any failure.
set -u
BIN=${BIASAMP_BIN:-build/biasamp}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export BIASAMP_CACHE="$T/cache"
export TMPDIR="$T/tmp" # the sessions' temp folders, checked for leftovers at the end
mkdir -p "$TMPDIR"
. "$ROOT/tests/cli/lib.sh" # counters, ok, bad, expect, grep_in, summary

# expect CODE DESCRIPTION -- command...: runs the command, checks the exit code; output in $T/out,
# $T/err.
# session CODE DESCRIPTION CONFIG... <<< commands: `biasamp explore CONFIG...` reading stdin.
session() {
    local code=$1 desc=$2
    shift 2
    "$BIN" explore "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" -eq "$code" ]; then ok; else bad "$desc: exit $rc, expected $code ($(head -c 300 "$T/err"))"; fi
}
# has FILE PATTERN DESCRIPTION / hasnt FILE PATTERN DESCRIPTION (fixed strings)
has() { if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $(head -c 400 "$1")"; fi; }
hasnt() { if grep -qF -- "$2" "$1"; then bad "$3: '$2' found"; else ok; fi; }
# count FILE PATTERN N DESCRIPTION: exactly N lines match
count() {
    local n
    n=$(grep -cF -- "$2" "$1")
    if [ "$n" -eq "$3" ]; then ok; else bad "$4: $n lines with '$2', expected $3"; fi
}
is_png() { if [ "$(head -c 4 "$1" 2>/dev/null | tail -c 3)" = "PNG" ]; then ok; else bad "$2: $1 is not a PNG"; fi; }

# a small, quick config: a tilted Gaussian, 6 generations, 20 replicates
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

# --- options --------------------------------------------------------------------------------------
expect 0 "explore --help" -- "$BIN" explore --help
has "$T/out" "compare" "explore --help lists the commands"
has "$T/out" "lesson" "explore --help lists lesson"
expect 2 "explore bad option" -- "$BIN" explore --bogus
expect 2 "explore two configs" -- "$BIN" explore a.ini b.ini
expect 2 "explore missing config" -- "$BIN" explore "$T/nope.ini"
has "$T/err" "nope.ini" "missing config named"
expect 2 "explore bad -s" -- "$BIN" explore -s sim.colour=red "$T/small.ini"
has "$T/err" "unknown key 'sim.colour'" "bad -s named"

# --- every command, bad input among them -----------------------------------------------------------
session 2 "full session" "$T/small.ini" <<EOF
# a comment line, then a blank one

show
show n
show sim.gamma
set n 200
set sim.gamma -1
show sim.gamma
set colour red
set sim.family cauchy
frobnicate now
set sim.family categorical
set sim.family gaussian
run
table bias sd
table nonsense
theory
set weight none
run
compare
compare mean sd
plot
plot bias sd
plot term sd
plot png $T/fig.png bias sd
plot svg $T/fig bias
plot density
plot shares
save $T/saved
lesson
lesson 9
help
help set
help bogus
quit
run
EOF
out=$T/out err=$T/err
cp "$out" "$T/full.out"
cp "$err" "$T/full.err"
hasnt "$out" "explore>" "no prompt when stdin is not a terminal"
has "$out" "config from $T/small.ini" "show: where the config came from"
has "$out" "  sim.lambda           = 0.1" "show lists keys with values"
has "$out" "sim.n = 100" "show n resolves sim.n"
has "$out" "range [0, 1e+06]" "show KEY: range"
has "$out" "sim.n = 200" "set confirms the value"
count "$out" "sim.gamma = 1" 2 "a bad value leaves the key unchanged"
has "$err" "error: stdin:7: set: sim.gamma: -1 is out of range" "bad value: one error line with the line number"
has "$err" "error: stdin:9: unknown key 'colour'" "unknown key: error line"
has "$err" "error: stdin:10: set: sim.family: 'cauchy' is not one of" "bad enum: error line"
has "$err" "error: stdin:11: unknown command 'frobnicate'" "unknown command: error line"
has "$out" "note: not runnable yet" "cross-field problem noted after set"
has "$out" "run 1: gaussian, weight tilt, replace, n = 200 x 20 replicates" "run: header"
has "$out" "population map (n = inf) in" "run: the population map first"
has "$out" "Monte Carlo in" "run: the Monte Carlo summary"
has "$out" "sd MC" "table METRIC..."
has "$err" "has no metric 'nonsense'" "table: unknown metric"
has "$out" "necessary  (the map moves the statistic, D_t != 0): holds (source: weight)" "theory: necessary"
has "$out" "sufficient (D_t != 0 and D_t b_t >= 0 in every generation): holds" "theory: sufficient"
has "$out" "population map: amplified" "theory: trajectory"
has "$out" "agrees with the theory" "theory: the latest run compared"
has "$out" "sim.weight           tilt -> none" "compare: config differences"
has "$out" "mean A" "compare METRIC..."
has "$out" "+-----" "plot: a text plot in the terminal"
has "$out" "population map (n = inf)" "plot: legend"
is_png "$T/fig.png" "plot png"
if grep -q "<svg" "$T/fig.svg" 2>/dev/null; then ok; else bad "plot svg FILE: no $T/fig.svg"; fi
has "$out" "wrote $T/fig.png" "plot png: names the file"
has "$out" "truth" "plot density"
has "$err" "no class shares" "plot shares on a Gaussian: error"
has "$out" "saved config.ini, generations.csv, population.csv, density.csv and 4 figures in $T/saved/" "save"
has "$out" "6  misspecified" "lesson lists the lessons"
has "$err" "error: stdin:31: usage: lesson [N] with N in 1..6" "lesson 9: error"
has "$out" "compare [METRIC...]" "help lists commands"
has "$out" "The value is" "help set"
has "$err" "no command 'bogus'" "help bogus: error"
count "$out" "run 3:" 0 "quit ends the session"
count "$err" "error:" 8 "one error line per bad input, no others"

# --- save: config + tables + figures; the saved config reproduces the saved tables ---------------
for f in config.ini generations.csv population.csv density.csv params.png moments.png metrics.png density.png; do
    if [ -s "$T/saved/$f" ]; then ok; else bad "save: $f missing"; fi
done
has "$T/saved/config.ini" "n = 200" "save: the config as set"
has "$T/saved/config.ini" "weight = none" "save: the config as set (weight)"
expect 0 "sim on the saved config" -- "$BIN" sim "$T/saved/config.ini" -o "$T/resim" --no-plot -q
if cmp -s <(grep -v '^#' "$T/saved/generations.csv") <(grep -v '^#' "$T/resim/generations.csv"); then
    ok
else
    bad "save: generations.csv differs from biasamp sim on the saved config"
fi

# --- set forms, a clean session exits 0 -----------------------------------------------------------
session 0 "clean session" "$T/small.ini" <<EOF
load $T/small.ini
set sim.n=inf
set data.params = 0 2
set pretrained.params ""
set plot.title a title with words
show data.params
show plot.title
run
theory
EOF
has "$T/out" "loaded $T/small.ini" "load CONFIG"
has "$T/out" "data.params = 0 2" "set KEY = VALUE with a list"
has "$T/out" "plot.title = a title with words" "set: the value is the rest of the line"
has "$T/out" "n = inf" "set KEY=VALUE"
hasnt "$T/out" "Monte Carlo in" "n = inf: the population map alone"
has "$T/out" "simulation: none at n = inf" "theory at n = inf"
if [ -s "$T/err" ]; then bad "clean session wrote to stderr: $(head -c 300 "$T/err")"; else ok; fi

# --- without quit: EOF ends it; -s on the command line; defaults without a config -----------------
printf 'run\n' | "$BIN" explore -s sim.n=inf -s sim.seed=9 "$T/small.ini" >"$T/out" 2>"$T/err"
if [ $? -eq 0 ]; then ok; else bad "EOF ends the session with 0"; fi
has "$T/out" "n = inf" "-s overrides apply"
printf 'show sim.family\n' | "$BIN" explore >"$T/out" 2>&1
has "$T/out" "sim.family = beta" "no config: the defaults"

# --- compare before two runs, plot before a run ---------------------------------------------------
session 2 "nothing run yet" "$T/small.ini" <<EOF
compare
plot
table
load $T/nope.ini
exit
run
EOF
has "$T/err" "compare needs two runs" "compare without runs"
has "$T/err" "type 'run' first" "plot without a run"
has "$T/err" "cannot open config '$T/nope.ini'" "load a missing file: error"
count "$T/err" "error:" 4 "four error lines"
hasnt "$T/out" "run 1:" "exit ends the session"

# --- a lesson inside the explorer leaves its config and last two runs -----------------------------
session 0 "lesson inside the explorer" <<'EOF'
lesson 4
compare
show sim.mode
EOF
has "$T/out" "Lesson 4:" "lesson 4 runs inside the explorer"
has "$T/out" "Takeaway:" "lesson 4 ends with its takeaway"
has "$T/out" "A = push-accumulate" "after the lesson, compare shows its last two runs"
has "$T/out" "sim.mode = preserve" "after the lesson, the session holds its last config"

# --- lessons: the command, and all six end to end with their figures ------------------------------
expect 0 "lesson (list)" -- "$BIN" lesson
has "$T/out" "3  paper" "lesson lists the lessons"
expect 2 "lesson 7" -- "$BIN" lesson 7
expect 2 "lesson bad -s" -- "$BIN" lesson 1 -s sim.colour=red -o "$T/badlesson"
has "$T/err" "unknown key 'sim.colour'" "lesson bad -s: message"
expect 0 "lesson all" -- "$BIN" lesson all -s sim.replicates=20 -o "$T/lessons"
cp "$T/out" "$T/lessons.out"
names="1-sampling 2-tilt 3-paper 4-mitigations 5-shares 6-misspecified"
for n in $names; do
    is_png "$T/lessons/lesson-$n.png" "lesson $n figure"
    has "$T/lessons/lesson-$n.txt" "Takeaway:" "lesson $n takeaway"
    has "$T/lessons/lesson-$n.txt" "Explore further: biasamp explore configs/lesson-$n.ini" "lesson $n: the command to explore further"
    has "$T/lessons/lesson-$n.csv" "generation," "lesson $n table"
done
count "$T/lessons.out" "Lesson " 6 "six lessons printed"
# numbers come from the run: change the tilt and the narrative follows
expect 0 "lesson 2 with another lambda" -- "$BIN" lesson 2 -s sim.lambda=0.25 -s sim.replicates=10 -o "$T/l2"
has "$T/out" "the bias is +0.25 after the first fit" "lesson 2 prints the run's bias"
has "$T/out" "delta = lambda sigma^2 = 0.25" "lesson 2 evaluates the formula on the config"
pop0=$(grep -v '^#' "$T/l2/lesson-2/tilt/population.csv" | awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i=="bias")c=i} NR==2{print $c}')
case "$pop0" in 0.25*|0.24999*) ok ;; *) bad "lesson 2: population bias at generation 0 is '$pop0'" ;; esac
expect 2 "lesson 1 at n = inf" -- "$BIN" lesson 1 -s sim.n=inf -o "$T/l1inf"
has "$T/err" "needs a finite sim.n" "lesson 1 refuses n = inf"

# --- SIGTERM ends a session and removes its temp folder; no session leaves one behind ------------
mkfifo "$T/fifo"
exec 3<>"$T/fifo" # held open: the session waits for input
"$BIN" explore "$T/small.ini" <"$T/fifo" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do
    compgen -G "$TMPDIR/biasamp-explore-*" >/dev/null && break
    sleep 0.1
done
kill -TERM "$pid"
wait "$pid"
rc=$?
exec 3>&-
if [ "$rc" -eq 1 ]; then ok; else bad "SIGTERM: exit $rc, expected 1"; fi
left=$(ls "$TMPDIR")
if [ -z "$left" ]; then ok; else bad "temp folders left behind: $left"; fi

summary
