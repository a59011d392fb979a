#!/usr/bin/env bash
# bench_tokenizer.sh: GPT-2 encoding speed of biasamp (C, `biasamp tokenizer encode`, 1 and 2
# threads) against the npm package gpt-3-encoder@1.1.4 under node, on the same documents in the same
# run: the first $BENCH_TOKENIZER_DOCS (1000) ABP articles formatted as the corpus does, else the
# repository's own text files. Goal: >= 20x node on one core. Skips (exit 0) without node, npm
# package or vocabulary. Prints MB/s (10^6 bytes of UTF-8 input per second) and the ratios;
# BENCH_DEBUG=1 adds the raw wall times (ns).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIASAMP_BIN:-${BUILD:-build}/biasamp}
N=${BENCH_TOKENIZER_DOCS:-1000}
C_REPEATS=5

skip() {
    echo "bench_tokenizer.sh: skipped: $*"
    exit 0
}
command -v node >/dev/null 2>&1 || skip "node not found (gpt-3-encoder runs under node)"
[ -x "$BIN" ] || skip "$BIN not built (make all)"
"$BIN" tokenizer encode -c -t x >/dev/null 2>&1 || skip "no GPT-2 vocabulary (make deps)"
pkg=$(scripts/npm-encoder.sh) || skip "could not unpack gpt-3-encoder@1.1.4 (npm pack failed)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/docs"
abp="${BIASAMP_DATA:-../shared/data}/abp/articles.jsonl.gz"
if [ -f "$abp" ]; then
    got=$(node bench/gpt3_encoder_bench.js "$pkg" abp "$N" "$abp" "$tmp/docs")
    what="the first $got ABP articles (\"title: ...\\nbody: ...\")"
else
    k=0 # no corpus: the repository's prose and code, one file per document
    for f in README.md paper/*.md cli/*.c common/*.c models/*.c sim/*.c; do
        [ -f "$f" ] && cp "$f" "$tmp/docs/$(printf %05d $k).txt" && k=$((k + 1))
    done
    what="$k repository text files (ABP not found at $abp)"
fi
docs=("$tmp"/docs/*.txt)
bytes=$(cat "${docs[@]}" | wc -c)

# Best wall time of $1 runs of the rest, in nanoseconds.
best_ns() {
    local n=$1 best=0 t0 t1
    shift
    for ((r = 0; r < n; r++)); do
        t0=$(date +%s%N)
        "$@" >/dev/null
        t1=$(date +%s%N)
        if ((best == 0 || t1 - t0 < best)); then best=$((t1 - t0)); fi
    done
    echo "$best"
}
mbs() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.2f", (t > 0 ? b / (t / 1e9) / 1e6 : 0) }'; }

# C: the whole command minus the same command on a one-byte text (start-up and vocabulary load).
c_tokens=$("$BIN" tokenizer encode -c -j 1 "${docs[@]}" | awk '{ s += $1 } END { print s }')
base=$(best_ns $C_REPEATS "$BIN" tokenizer encode -c -j 1 -t x)
c1=$(($(best_ns $C_REPEATS "$BIN" tokenizer encode -c -j 1 "${docs[@]}") - base))
c2=$(($(best_ns $C_REPEATS "$BIN" tokenizer encode -c -j 2 "${docs[@]}") - base))
# node: one process; its first pass has an empty BPE cache ("cold"), two more a full one ("warm").
read -r _ _ n_tokens _ cold warm < <(node bench/gpt3_encoder_bench.js "$pkg" time 3 "${docs[@]}")
n_tokens=${n_tokens#tokens=}
cold=$(awk -v s="${cold#cold_s=}" 'BEGIN { printf "%.0f", s * 1e9 }')
warm=$(awk -v s="${warm#warm_s=}" 'BEGIN { printf "%.0f", s * 1e9 }')

echo "text: $what, $bytes bytes"
[ -n "${BENCH_DEBUG:-}" ] && echo "ns: base=$base c1=$c1 c2=$c2 cold=$cold warm=$warm"
printf '  %-34s %10s MB/s   %s tokens\n' "biasamp C, 1 thread" "$(mbs "$c1")" "$c_tokens"
printf '  %-34s %10s MB/s   speed-up %.2fx\n' "biasamp C, 2 threads" "$(mbs "$c2")" \
    "$(awk -v a="$c1" -v b="$c2" 'BEGIN { print a / b }')"
printf '  %-34s %10s MB/s   %s tokens\n' "gpt-3-encoder (node), cold cache" "$(mbs "$cold")" \
    "$n_tokens"
printf '  %-34s %10s MB/s\n' "gpt-3-encoder (node), warm cache" "$(mbs "$warm")"
ratio_cold=$(awk -v a="$cold" -v b="$c1" 'BEGIN { printf "%.1f", a / b }')
ratio_warm=$(awk -v a="$warm" -v b="$c1" 'BEGIN { printf "%.1f", a / b }')
verdict=$(awk -v r="$ratio_warm" 'BEGIN { print (r >= 20 ? "met" : "NOT met") }')
echo "  C (1 thread) / node: ${ratio_cold}x cold, ${ratio_warm}x warm" \
    "(goal >= 20x on one core: $verdict)"
[ "$c_tokens" = "$n_tokens" ] || echo "  WARNING: token counts differ (C $c_tokens, node $n_tokens)"
