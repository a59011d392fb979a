#!/usr/bin/env bash
# tokenizer_node.sh: optional cross-check — `biasamp tokenizer encode` must give the same GPT-2 ids
# as the npm package gpt-3-encoder@1.1.4 under node, on sample texts made here (contractions,
# digits, white space runs, Unicode letters and marks, emoji, <|endoftext|> as plain text) and on
# the first 50 ABP articles when the data is present. Never fetches: skipped with a message (exit 0)
# without node, without the package unpacked in the cache (scripts/npm-encoder.sh, `make deps`) or
# without the GPT-2 vocabulary. Ends with "N passed, N failed"; exits non-zero on any failure.
set -u
BIN=${BIASAMP_BIN:-build/biasamp}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
N_ARTICLES=50

skip() {
    echo "tokenizer_node.sh: skipped: $*"
    exit 0
}
command -v node >/dev/null 2>&1 || skip "node not found"
pkg=$(scripts/npm-encoder.sh --check 2>/dev/null) ||
    skip "gpt-3-encoder@1.1.4 not unpacked in the cache (run scripts/npm-encoder.sh or make deps)"
[ -x "$BIN" ] || skip "$BIN not built"
"$BIN" tokenizer encode -c -t x >/dev/null 2>&1 || skip "no GPT-2 vocabulary (make deps)"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$ROOT/tests/cli/lib.sh" # counters, ok, bad, expect, grep_in, summary

# Sample texts, one file each (valid UTF-8: node reads its input as UTF-8).
mkdir "$T/s"
k=0
sample() { printf '%b' "$1" >"$T/s/$(printf %03d $k).txt" && k=$((k + 1)); }
sample 'Hello world'
sample ' The quick brown fox jumps over the lazy dog.'
sample "I'm sure they'll say it's what we'd've done; I've seen THEY'RE and 's 't."
sample "Prices rose 3.5% to \$1,234.56 on 2016-11-08 (up 12x); call 555-0100 ext. 42."
sample 'spaces    inside,  trailing   \n\n\n  indented\n\ttabs\t\tand\r\nCRLF  '
sample '   leading spaces and a final newline\n'
# shellcheck disable=SC1112 # typographic quotes are the test
sample 'Café naïve résumé coöperate — “quotes” ‘single’ … ellipsis – dash'
sample 'Ελληνικά, русский текст, עברית, العربية, हिन्दी (combining marks), 中文和日本語のテキスト'
sample 'Emoji: 👍🏽 👨‍👩‍👧 🇺🇸 ❤️ and symbols ©®™ ½ ² ³ № ∞ ≠ ≤'
sample 'Text <|endoftext|> with the end-of-text marker as ordinary text.'
sample '!!!??? ... ---- ==== #hashtag @mention https://example.com/a?b=c&d=e'
sample 'non\u00a0breaking\u2009thin\u3000ideographic spaces'
sample 'odd white space: a\ufeff b\u0085c \u180e d\u200be\u2028\u2029f \x0b\x0cg'
sample 'ALLCAPS camelCase snake_case kebab-case Mixed123Digits 123abc'
sample '\n'
sample 'x'
for i in $(seq 1 40); do printf 'Sentence %d of a longer document, words repeated. ' "$i"; done \
    >"$T/s/$(printf %03d $k).txt"
docs=("$T"/s/*.txt)

# The first N ABP articles, formatted as biasamp corpus formats them.
abp="${BIASAMP_DATA:-../shared/data}/abp/articles.jsonl.gz"
if [ -f "$abp" ]; then
    mkdir "$T/a"
    got=$(node bench/gpt3_encoder_bench.js "$pkg" abp "$N_ARTICLES" "$abp" "$T/a")
    if [ "$got" = "$N_ARTICLES" ]; then ok; else bad "read $got ABP articles, not $N_ARTICLES"; fi
    docs+=("$T"/a/*.txt)
else
    echo "tokenizer_node.sh: ABP not found at $abp; sample texts only"
fi

# Both encoders, one line of ids per document, in the same order.
"$BIN" tokenizer encode -j 2 "${docs[@]}" >"$T/c.ids" 2>"$T/c.err" ||
    bad "biasamp: $(head -c 300 "$T/c.err")"
node bench/gpt3_encoder_bench.js "$pkg" ids "${docs[@]}" >"$T/js.ids" 2>"$T/js.err" ||
    bad "node: $(head -c 300 "$T/js.err")"
mapfile -t c_lines <"$T/c.ids"
mapfile -t js_lines <"$T/js.ids"
if [ "${#c_lines[@]}" -eq "${#docs[@]}" ] && [ "${#js_lines[@]}" -eq "${#docs[@]}" ]; then
    ok
else
    bad "line counts: ${#docs[@]} documents, biasamp ${#c_lines[@]}, node ${#js_lines[@]}"
fi
for i in "${!docs[@]}"; do
    if [ "${c_lines[$i]-}" = "${js_lines[$i]-}" ]; then
        ok
    else
        bad "ids differ for $(basename "${docs[$i]}") ($(head -c 60 "${docs[$i]}" | tr '\n' ' '))"
        echo "  biasamp: $(echo "${c_lines[$i]-}" | head -c 200)"
        echo "  node:    $(echo "${js_lines[$i]-}" | head -c 200)"
    fi
done
# The known vectors, so the comparison cannot pass with both sides wrong.
if [ "${c_lines[0]-}" = "15496 995" ]; then ok; else bad "'Hello world' is '${c_lines[0]-}'"; fi
if [ "${c_lines[1]-}" = "383 2068 7586 21831 18045 625 262 16931 3290 13" ]; then
    ok
else
    bad "the fox sentence is '${c_lines[1]-}'"
fi

summary
