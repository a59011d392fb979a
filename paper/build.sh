#!/usr/bin/env bash
# build.sh: `make paper`. Runs (or reuses, when newer than their config and the binary) the result
# sets the report needs into paper/build/results, renders their figures, generates the numbers and
# the claims table with `biasamp report`, and typesets paper/build/biasamp-report.pdf (pandoc +
# XeLaTeX, installed on demand here only) beside its Markdown twin biasamp-report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/biasamp}
OUT=paper/build
R=$OUT/results
mkdir -p "$R"
DATA=${BIASAMP_DATA:-../shared/data}

# LaTeX toolchain, for this target only.
TEX_PKGS=(pandoc texlive-xetex texlive-latex-recommended texlive-fonts-recommended lmodern
          fonts-dejavu-core)
missing=()
for p in "${TEX_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" -eq 0 ]; then
        echo "paper: installing ${missing[*]}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "paper: missing packages; run: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
fi

# fresh NAME CONFIG: true when RESULTS/NAME is complete and newer than CONFIG and the binary.
fresh() {
    local f="$R/$1/generations.csv"
    [ -f "$f" ] && [ "$f" -nt "$2" ] && [ "$f" -nt "$BIN" ]
}
sim() { # NAME CONFIG [overrides...]
    local name=$1 config=$2
    shift 2
    if fresh "$name" "$config"; then
        echo "paper: reusing $R/$name"
    else
        echo "paper: biasamp sim $config $*"
        rm -rf "$R/$name"
        "$BIN" sim "$config" -o "$R/$name" -q "$@"
    fi
}
sim fig10 configs/paper-fig10-wmle.ini
sim fig11 configs/paper-fig11-mle.ini
sim tilt configs/gaussian-tilt-replace.ini
sim selfdens configs/gaussian-self-density.ini
sim collapse configs/gaussian-replace.ini
sim accumulate configs/gaussian-tilt-accumulate.ini
sim preserve configs/gaussian-preserve.ini

# other commands: NAME CONFIG MARKER command...
other() {
    local name=$1 config=$2 marker=$3
    shift 3
    if [ -f "$R/$name/$marker" ] && [ "$R/$name/$marker" -nt "$config" ] && [ "$R/$name/$marker" -nt "$BIN" ]; then
        echo "paper: reusing $R/$name"
    else
        echo "paper: biasamp $* $config"
        rm -rf "$R/$name"
        "$BIN" "$@" "$config" -o "$R/$name" -q
    fi
}
other decompose configs/decompose-gaussian.ini decompose.csv decompose
other sweep configs/sweep-preserve.ini sweep.csv sweep

# The GPT-2 experiment is long: reuse the newest complete demo runs (results/demo-*), else run
# the CI-sized config (a pipeline check, reported as such).
found=0
for mix in skewed balanced; do
    src=$(ls -dt results/demo-"$mix"* 2>/dev/null | while read -r d; do
        [ -f "$d/generations.csv" ] && { echo "$d"; break; }; done)
    if [ -n "$src" ]; then
        echo "paper: using $src for the $mix experiment"
        rm -rf "$R/experiment-$mix"
        mkdir -p "$R/experiment-$mix"
        cp "$src"/generations.csv "$src"/config.ini "$R/experiment-$mix/"
        cp "$src"/*.png "$R/experiment-$mix/" 2>/dev/null || true
        found=1
    fi
done
if [ "$found" = 0 ]; then
    other experiment-ci configs/ci-experiment.ini generations.csv experiment
fi

NEU="$DATA/paper-reference/Mechanistic_Interpretation"
if [ -d "$NEU" ]; then
    if [ -f "$R/neurons/neurons_summary.csv" ] && [ "$R/neurons/neurons_summary.csv" -nt "$BIN" ]; then
        echo "paper: reusing $R/neurons"
    else
        rm -rf "$R/neurons"
        "$BIN" neurons --tables "$NEU" -o "$R/neurons" -q
    fi
else
    echo "paper: $NEU absent: the neuron re-analysis is reported as not run" >&2
fi

# the lessons' figures for the teacher's page (paper/lessons.md)
if [ -f "$OUT/lessons/lesson-6-functional-form.png" ] && [ "$OUT/lessons/lesson-6-functional-form.png" -nt "$BIN" ]; then
    echo "paper: reusing $OUT/lessons"
else
    rm -rf "$OUT/lessons"
    "$BIN" lesson all -o "$OUT/lessons" --no-pause >"$OUT/lessons.log"
fi

"$BIN" report "$R" -o "$OUT"
cat paper/intro.md paper/theory.md "$OUT/results.md" "$OUT/claims.md" paper/reproduce.md \
    >"$OUT/biasamp-report.md"
(cd "$OUT" && pandoc biasamp-report.md -o biasamp-report.pdf.part --pdf-engine=xelatex \
    -f markdown-implicit_figures -t pdf \
    -V mainfont="DejaVu Serif" -V sansfont="DejaVu Sans" -V monofont="DejaVu Sans Mono" \
    -V geometry:margin=2.2cm -V fontsize=10pt --toc 2>pandoc.log &&
    mv biasamp-report.pdf.part biasamp-report.pdf) || {
    echo "paper: pandoc failed (see $OUT/pandoc.log)" >&2
    exit 1
}
echo "paper: $OUT/biasamp-report.pdf and $OUT/biasamp-report.md"
