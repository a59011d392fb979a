#!/usr/bin/env bash
# npm-encoder.sh: unpacks the npm package gpt-3-encoder@1.1.4 (the JavaScript GPT-2 encoder that
# bench/bench_tokenizer.sh and tests/cli/tokenizer_node.sh compare against) into
# ${BIASAMP_CACHE:-$HOME/.cache/biasamp}/gpt-3-encoder-1.1.4, verified by sha256. Idempotent and
# quiet when present; the only network access is `npm pack`. Prints the package folder on stdout.
#   scripts/npm-encoder.sh [--check]   --check: no network; exit 1 if the package is not unpacked
set -euo pipefail

VERSION=1.1.4
dest="${BIASAMP_CACHE:-$HOME/.cache/biasamp}/gpt-3-encoder-$VERSION"
TGZ_SHA=099b008c7f88f4a61ca1743c2348a8228f20179c8915609b6ea82a5c3a04421c
declare -A SHA=(
    [Encoder.js]=afc11c470f14280c4063137ff29af4362d46fba117f5dc35a80b3cfa447f544c
    [index.js]=f44cfa4ed1a4240b67817096bc2faa2b10a03f2a2132cc46edddefd3acb3d38b
    [encoder.json]=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
    [vocab.bpe]=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
)
verified() { # $1: folder
    for f in "${!SHA[@]}"; do
        [ -f "$1/$f" ] || return 1
        echo "${SHA[$f]}  $1/$f" | sha256sum -c --status - || return 1
    done
}

if verified "$dest"; then
    echo "$dest"
    exit 0
fi
if [ "${1:-}" = --check ]; then
    echo "npm-encoder: gpt-3-encoder@$VERSION not unpacked in $dest (scripts/npm-encoder.sh)" >&2
    exit 1
fi
command -v npm >/dev/null 2>&1 || { echo "npm-encoder: npm not found" >&2; exit 1; }
echo "npm-encoder: fetching gpt-3-encoder@$VERSION (npm pack) into $dest" >&2
mkdir -p "$(dirname "$dest")"
tmp=$(mktemp -d "$(dirname "$dest")/.gpt-3-encoder.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "gpt-3-encoder@$VERSION" >/dev/null) ||
    { echo "npm-encoder: npm pack gpt-3-encoder@$VERSION failed" >&2; exit 1; }
echo "$TGZ_SHA  $tmp/gpt-3-encoder-$VERSION.tgz" | sha256sum -c --status - ||
    { echo "npm-encoder: sha256 mismatch for gpt-3-encoder-$VERSION.tgz" >&2; exit 1; }
tar -xzf "$tmp/gpt-3-encoder-$VERSION.tgz" -C "$tmp"
verified "$tmp/package" || { echo "npm-encoder: unexpected package contents" >&2; exit 1; }
rm -rf "$dest"
mv "$tmp/package" "$dest" # same file system: the folder appears complete or not at all
echo "$dest"
