# lib.sh: what every tests/cli script shares, sourced after it has set T (its temporary folder):
# the pass/fail counters, ok/bad, expect, grep_in and the closing summary line.
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect CODE DESCRIPTION -- command...: the command's exit code must be CODE; its stdout and
# stderr are left in $T/out and $T/err.
expect() {
    local code=$1 desc=$2
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" -eq "$code" ]; then ok; else bad "$desc: exit $rc, expected $code ($(head -c 300 "$T/err"))"; fi
}
# grep_in FILE PATTERN DESCRIPTION: PATTERN (a grep regex) must occur in FILE.
grep_in() { if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in $(head -c 300 "$1")"; fi; }
# summary: "N passed, N failed"; the status is that of the whole script.
summary() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
