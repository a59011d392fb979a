#!/usr/bin/env bash
# theory.sh: CLI checks of `biasamp theory`, `decompose` and `sweep` — help, the closed-form library
# by name, verdicts and tables on the paper's Fig. 10/11 and a condition that breaks, bad input
# with file:line and nothing left behind, the 2x2x2 cell pattern, a two-key phase diagram with its
# boundary, and a sweep killed with SIGKILL and resumed byte-identical. Ends with
# "N passed, N failed"; exits non-zero on any failure.
set -u
BIN=${BIASAMP_BIN:-build/biasamp}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$ROOT/tests/cli/lib.sh" # counters, ok, bad, expect, grep_in, summary

# expect CODE DESCRIPTION -- command...: output in $T/out, $T/err
exists() { if [ -s "$1" ]; then ok; else bad "$2: $1 missing or empty"; fi; }
# csvcol FILE NAME ROW: the value of column NAME in data row ROW (1-based)
csvcol() {
    awk -F, -v name="$2" -v row="$3" '/^#/ {next} !h {for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next}
        ++r == row {print $(c[name]); exit}' "$1"
}
rows() { awk '/^#/ {next} !h {h = 1; next} {n++} END {print n + 0}' "$1"; }
same() { if [ "$1" = "$2" ]; then ok; else bad "$3: '$1', expected '$2'"; fi; }

# --- help and the library by name ----------------------------------------------------------------
for c in theory decompose sweep; do
    expect 0 "$c --help" -- "$BIN" $c --help
    grep_in "$T/out" "usage: biasamp $c" "$c --help text"
done
expect 0 "theory --list" -- "$BIN" theory --list
grep_in "$T/out" "taori_hashimoto" "--list names Taori-Hashimoto"
grep_in "$T/out" "gerstgrasser_limit" "--list names the pi^2/6 bound"
nforms=$(grep -c -E '^[a-z_0-9]+ +(mc|pop|bound|limit) ' "$T/out")
if [ "$nforms" -ge 30 ]; then ok; else bad "--list shows $nforms forms"; fi
expect 0 "theory --eval" -- "$BIN" theory --eval gauss_mle_var 10 1 -t 10
same "$(cat "$T/out")" "0.3486784401" "E sigma^2 at n = 10, t = 10"
expect 0 "theory --eval taori" -- "$BIN" theory --eval taori_hashimoto 100 10 40 0.02 -t 3
same "$(cat "$T/out")" "0.02906666667" "Taori-Hashimoto after two rounds"
expect 0 "theory --eval range" -- "$BIN" theory --eval push_accumulate 0.1 1 -t 1:4
same "$(tail -1 "$T/out")" "4 0.2083333333" "delta H_4"
expect 0 "theory --eval negative argument" -- "$BIN" theory --eval push_replace -0.1 1 -t 3
same "$(cat "$T/out")" "-0.3" "a negative push"
expect 2 "unknown form" -- "$BIN" theory --eval no_such_form 1
grep_in "$T/err" "no closed form called 'no_such_form'" "unknown form message"
expect 2 "wrong argument count" -- "$BIN" theory --eval gauss_mle_var 10
grep_in "$T/err" "n var0 mu0" "argument count message"

# --- theory: verdicts and tables -----------------------------------------------------------------
expect 0 "theory fig10" -- "$BIN" theory configs/paper-fig10-wmle.ini -s sim.replicates=40 -o "$T/fig10"
grep_in "$T/out" "sufficient .*: holds" "fig10 sufficient holds"
grep_in "$T/out" "population map: bounded (fixed point b_inf = 0.1" "fig10 bounded at 0.1"
grep_in "$T/out" "agrees with the theory" "fig10 simulation agrees"
for f in config.ini theory.csv verdicts.csv forms.csv trajectory.png forms.png; do exists "$T/fig10/$f" "fig10"; done
same "$(csvcol "$T/fig10/verdicts.csv" necessary 1),$(csvcol "$T/fig10/verdicts.csv" population 1),$(csvcol "$T/fig10/verdicts.csv" agrees 1)" "1,2,1" "fig10 verdicts.csv"
same "$(rows "$T/fig10/theory.csv")" "11" "fig10 theory.csv rows"
grep_in "$T/fig10/theory.csv" "^# kind=theory_generations" "theory.csv kind"
expect 0 "theory fig11" -- "$BIN" theory configs/paper-fig11-mle.ini -s sim.replicates=60 -o "$T/fig11" --no-plot
grep_in "$T/out" "necessary .*: fails" "fig11 necessary fails"
grep_in "$T/out" "first fails at generation 0" "fig11 breaks at 0"
grep_in "$T/out" "no drift.*agrees with the theory" "fig11 no drift, agrees"
expect 0 "theory break" -- "$BIN" theory configs/theory-break.ini -o "$T/break" --no-plot -q
same "$(csvcol "$T/break/verdicts.csv" first_break 1)" "3" "the condition breaks at generation 3"
expect 0 "theory n = inf" -- "$BIN" theory configs/theory-gaussian-tilt.ini -s sim.n=inf -o "$T/inf" --no-plot
grep_in "$T/out" "simulation: not run (n = inf)" "n = inf: no simulation"
grep_in "$T/out" "push_replace .* agrees" "the push closed form at n = inf"
printf '[sim]\nfamily = gaussian\nweight = tilt\nrho = 2\n' >"$T/bad.ini"
expect 2 "theory bad config" -- "$BIN" theory "$T/bad.ini" -o "$T/bad_out"
grep_in "$T/err" "$T/bad.ini:4: sim.rho: 2 is out of range" "bad config names file:line"
if [ -e "$T/bad_out" ]; then bad "bad config left $T/bad_out"; else ok; fi
expect 2 "theory bad -z" -- "$BIN" theory configs/paper-fig11-mle.ini -z -1

# --- decompose: the cell pattern -----------------------------------------------------------------
expect 0 "decompose" -- "$BIN" decompose configs/decompose-gaussian.ini -s sim.replicates=800 -o "$T/dec"
for f in config.ini decompose.csv decompose_generations.csv decompose.png; do exists "$T/dec/$f" "decompose"; done
same "$(rows "$T/dec/decompose.csv")" "8" "decompose cells"
pattern=""
for r in 1 2 3 4 5 6 7 8; do
    w=$(csvcol "$T/dec/decompose.csv" weighted $r); f=$(csvcol "$T/dec/decompose.csv" finite_n $r)
    s=$(csvcol "$T/dec/decompose.csv" bias_sig $r); c=$(csvcol "$T/dec/decompose.csv" collapse $r)
    [ "$s" = "$w" ] && [ "$c" = "$f" ] || pattern="$pattern cell$((r - 1)):w=$w,f=$f,sig=$s,collapse=$c"
done
same "$pattern" "" "bias iff weighted, collapse iff finite n"
expect 2 "decompose without a weight" -- "$BIN" decompose configs/decompose-gaussian.ini -s sim.weight=none -o "$T/dec2"
grep_in "$T/err" "sim.weight: decompose switches the weight off and on" "decompose base error"
if [ -e "$T/dec2" ]; then bad "decompose error left $T/dec2"; else ok; fi

# --- sweep: a phase diagram over two keys --------------------------------------------------------
expect 0 "sweep two keys" -- "$BIN" sweep configs/sweep-preserve.ini -g sim.rho=0.1:0.9:8 -g sim.lambda=-0.1:0.1:9 -o "$T/swp"
for f in config.ini sweep.csv boundary.csv sweep.png; do exists "$T/swp/$f" "sweep"; done
same "$(rows "$T/swp/sweep.csv")" "72" "sweep rows"
same "$(awk -F, '!/^#/ && $1 == 0 {n++} END {print n + 0}' "$T/swp/boundary.csv")" "16" "class boundary at lambda = 0"
if [ "$(awk -F, '!/^#/ && $1 == 2 {n++} END {print n + 0}' "$T/swp/boundary.csv")" -gt 0 ]; then ok; else bad "no fixed-point levels"; fi
expect 2 "sweep bad grid" -- "$BIN" sweep configs/sweep-preserve.ini -g sim.rho=0:1 -o "$T/swbad"
grep_in "$T/err" "expected key=lo:hi:steps" "bad grid message"
expect 2 "sweep invalid point" -- "$BIN" sweep configs/sweep-preserve.ini -g sim.rho=0.5:1.5:3 -o "$T/swbad"
grep_in "$T/err" "sweep point sim.rho=1" "invalid point named"
if [ -e "$T/swbad" ]; then bad "invalid sweep left $T/swbad"; else ok; fi
expect 2 "sweep --resume without -o" -- "$BIN" sweep configs/sweep-preserve.ini --resume

# --- sweep: killed and resumed -------------------------------------------------------------------
G=(-g sim.n=4:60:7:log -g sim.boost=0.005:0.5:6:log -s sim.replicates=40 -s sim.generations=80 --no-plot -q)
mkdir -p "$T/ra" "$T/rb"
(cd "$T/ra" && "$BIN" sweep "$ROOT/configs/sweep-categorical.ini" "${G[@]}" -o out) || bad "uninterrupted sweep"
cd "$T/rb"
"$BIN" sweep "$ROOT/configs/sweep-categorical.ini" "${G[@]}" -o out &
pid=$!
for _ in $(seq 1 5000); do
    [ -f out/sweep.csv.part ] && [ "$(rows out/sweep.csv.part)" -ge 10 ] && break
    sleep 0.002
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
got=$(rows out/sweep.csv.part 2>/dev/null || echo 0)
if [ "$got" -ge 10 ] && [ "$got" -lt 42 ]; then ok; else bad "killed sweep had $got rows"; fi
expect 2 "restart without --resume" -- "$BIN" sweep "$ROOT/configs/sweep-categorical.ini" "${G[@]}" -o out
grep_in "$T/err" "exists: --resume continues it" "restart refused"
expect 0 "resume" -- "$BIN" sweep "$ROOT/configs/sweep-categorical.ini" "${G[@]}" -o out --resume
cd "$ROOT"
if cmp -s "$T/ra/out/sweep.csv" "$T/rb/out/sweep.csv"; then ok; else bad "resumed sweep.csv differs"; fi
if cmp -s "$T/ra/out/boundary.csv" "$T/rb/out/boundary.csv"; then ok; else bad "resumed boundary.csv differs"; fi

summary
