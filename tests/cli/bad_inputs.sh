#!/usr/bin/env bash
# bad_inputs.sh: the bad-input catalogue. Every case runs one biasamp command on one bad input
# and asserts: exit code 2; a message naming the file and line or field (or the CLI argument);
# nothing left in the output folder (the output path does not exist, no *.part / *.tmp files).
# Inputs: configs, CLI arguments, checkpoints, safetensors, token files, tokenizer files, corpus
# lines and gzip streams, CSV inputs of plot and neurons, resumable states, memory estimates.
# Binary files are crafted with python3 (those cases are skipped without it). Ends with
# "bad inputs: N cases" and "N passed, N failed".
set -u
BIN=${BIASAMP_BIN:-build/biasamp}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DATA=${BIASAMP_DATA:-$ROOT/../shared/data}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cases=0
. "$ROOT/tests/cli/lib.sh" # counters, ok, bad, expect, grep_in, summary
PY=$(command -v python3 || true)

# refuse NAME PATTERN OUTPUT -- command...: exit 2, PATTERN (fixed string) in stderr, OUTPUT (a
# path, or - for none) absent, no partial files anywhere under $T/o.
refuse() {
    local name=$1 pat=$2 out=$3
    shift 4
    cases=$((cases + 1))
    "$@" >"$T/stdout" 2>"$T/err"
    local rc=$?
    local why=""
    [ "$rc" -eq 2 ] || why="exit $rc, expected 2"
    grep -qF -- "$pat" "$T/err" || why="$why; message lacks '$pat'"
    [ "$out" = - ] || [ ! -e "$out" ] || why="$why; $out left behind"
    [ -z "$(find "$T/o" \( -name '*.part' -o -name '*.tmp' \) 2>/dev/null)" ] || why="$why; partial files left"
    if [ -z "$why" ]; then ok; else bad "$name: $why ($(head -c 300 "$T/err"))"; fi
}
mkdir -p "$T/o"
O=$T/o
CFG=configs/paper-fig10-wmle.ini

# --- configs ---------------------------------------------------------------------------------------
badcfg() { # NAME CONTENT PATTERN(after the path)
    printf '%b' "$2" >"$T/$1.ini"
    refuse "config $1" "$T/$1.ini:$3" "$O/$1" -- "$BIN" sim "$T/$1.ini" -o "$O/$1" --no-plot
}
badcfg unknown_key '[sim]\nn = 100\ncolour = red\n' "3: unknown key 'sim.colour'"
badcfg bad_number '[sim]\ngenerations = 1O\n' "2: sim.generations: '1O' is not an integer"
badcfg negative_n '[sim]\nn = -100\n' "2: sim.n: -100 is out of range"
badcfg fractional_n '[sim]\nn = 10.5\n' "2: sim.n: 10.5 is not a whole number"
badcfg nan_gamma '[sim]\ngamma = nan\n' "2: sim.gamma: 'nan' is not a number"
badcfg inf_gamma '[sim]\ngamma = inf\n' "2: sim.gamma: 'inf' must be finite"
badcfg huge_replicates '[sim]\nreplicates = 99999999999999\n' "2: sim.replicates: 99999999999999 is out of range"
badcfg huge_generations '[sim]\ngenerations = 1e300\n' "2: sim.generations: '1e300' is not an integer"
badcfg negative_gamma '[sim]\ngamma = -1\n' "2: sim.gamma: -1 is out of range"
badcfg unknown_family '[sim]\nfamily = cauchy\n' "2: sim.family: 'cauchy' is not one of"
badcfg param_count '[data]\nparams = 1 2 3\n' "2: data.params: beta needs 2 parameters"
badcfg bad_param '[pretrained]\nparams = 3 -2\n' "2: pretrained.params: Beta parameter b must be positive"
badcfg snapshot '[sim]\ngenerations = 5\nsnapshots = 0 7\n' "3: sim.snapshots: 7 is not a generation"
badcfg syntax '[sim\nn = 5\n' "1: syntax error"
badcfg duplicate_key '[sim]\nn = 5\nn = 6\n' "3:"
badcfg empty '' "1: empty config file"
badcfg blank '\n  \n\n' "1: empty config file"
badcfg junk '\x01\x7f\xfe\xc3\x28garbage\xff =\n\x80\x81\n' "1:"
printf '[plot]\ntitle = %0300d\n' 0 >"$T/long.ini"
refuse "config very long line" "$T/long.ini:2: line longer than 199 bytes" "$O/long" -- \
    "$BIN" sim "$T/long.ini" -o "$O/long" --no-plot
printf '[sim]\nn = 5\0\n' >"$T/nul.ini"
refuse "config NUL byte" "$T/nul.ini:2: NUL byte" "$O/nul" -- "$BIN" sim "$T/nul.ini" -o "$O/nul" --no-plot
refuse "config missing" "$T/none.ini" "$O/none" -- "$BIN" sim "$T/none.ini" -o "$O/none" --no-plot
printf '[experiment]\nsetups = replace frobnicate\n' >"$T/exp_setup.ini"
refuse "experiment config unknown setup" "$T/exp_setup.ini:2" "$O/exp1" -- \
    "$BIN" experiment "$T/exp_setup.ini" -o "$O/exp1" -q

# --- CLI arguments ---------------------------------------------------------------------------------
refuse "no command" "usage" - -- "$BIN"
refuse "unknown command" "unknown command 'frobnicate'" - -- "$BIN" frobnicate
refuse "sim unknown option" "'--bogus'" - -- "$BIN" sim --bogus "$CFG"
refuse "sim without config" "missing CONFIG.ini" - -- "$BIN" sim
refuse "-s out of range" "-s: sim.n: 1 is out of range" "$O/s1" -- "$BIN" sim "$CFG" -s sim.n=1 -o "$O/s1" --no-plot
refuse "-s without =" "-s 'sim.n': expected section.key=value" "$O/s2" -- "$BIN" sim "$CFG" -s sim.n -o "$O/s2" --no-plot
refuse "-s unknown key" "-s: unknown key 'bogus.key'" "$O/s3" -- "$BIN" sim "$CFG" -s bogus.key=3 -o "$O/s3" --no-plot
refuse "-s nan" "-s: train.lr: 'nan' is not a number" "$O/s4" -- "$BIN" experiment configs/ci-experiment.ini -s train.lr=nan -o "$O/s4" -q
refuse "sim --resume without -o" "--resume needs the run's -o DIR" - -- "$BIN" sim --resume "$CFG"
refuse "sweep bad grid" "expected key=lo:hi:steps" "$O/sw1" -- "$BIN" sweep configs/sweep-preserve.ini -g sim.rho=0:1 -o "$O/sw1"
refuse "sweep invalid point" "sweep point sim.rho=1" "$O/sw2" -- "$BIN" sweep configs/sweep-preserve.ini -g sim.rho=0.5:1.5:3 -o "$O/sw2"
refuse "sweep -z" "-z wants a positive number, got '-1'" "$O/sw3" -- "$BIN" sweep configs/sweep-preserve.ini -g sim.rho=0:1:3 -z -1 -o "$O/sw3"
refuse "sweep --resume without -o" "--resume needs" - -- "$BIN" sweep configs/sweep-preserve.ini --resume
refuse "lesson number" "no lesson '99'" - -- "$BIN" lesson 99
refuse "tokenizer subcommand" "unknown subcommand 'frob'" - -- "$BIN" tokenizer frob
refuse "gpt2 subcommand" "unknown subcommand 'frobnicate'" - -- "$BIN" gpt2 frobnicate x
refuse "--kernels" "unknown kernels 'bogus'" - -- "$BIN" gpt2 info x --kernels=bogus
refuse "gpt2 generate --weights" "bad --weights 'f16'" - -- "$BIN" gpt2 generate x -p x --weights f16
"$BIN" sim "$CFG" -s sim.n=inf -o "$T/f10" --no-plot -q || bad "sim n=inf for the plot cases"
refuse "plot extension" "x.jpg" "$O/x.jpg" -- "$BIN" plot "$T/f10/generations.csv" "$O/x.jpg"
refuse "plot unknown script" "nope" "$O/x.png" -- "$BIN" plot --script nope "$T/f10/generations.csv" "$O/x.png"
refuse "report without results" "'$T/none' is not a folder" "$O/rep" -- "$BIN" report "$T/none" -o "$O/rep"

# --- GPT-2 weights: checkpoints, llm.c .bin, safetensors -----------------------------------------
"$BIN" gpt2 init "$T/m.ckpt" --layers 1 --heads 2 --channels 16 --context 32 --vocab-size 300 --seed 1 >/dev/null &&
    "$BIN" gpt2 convert "$T/m.ckpt" "$T/m.safetensors" >/dev/null &&
    "$BIN" gpt2 convert "$T/m.ckpt" "$T/m.bin" >/dev/null || bad "gpt2 init/convert for the weight cases"
head -c 2000 "$T/m.bin" >"$T/trunc.bin"
refuse "llm.c .bin truncated" "trunc.bin" - -- "$BIN" gpt2 info "$T/trunc.bin"
printf 'not a model at all' >"$T/junk.ckpt"
refuse "model file junk" "junk.ckpt" - -- "$BIN" gpt2 info "$T/junk.ckpt"
refuse "model file missing" "none.ckpt" - -- "$BIN" gpt2 info "$T/none.ckpt"
if [ -n "$PY" ]; then
    (cd "$T" && "$PY" - <<'EOF'
import copy, json, struct, zlib
b = open('m.safetensors', 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h, data = json.loads(b[8:8 + n]), b[8 + n:]
def st(name, hdr, data, hlen=None):
    hb = json.dumps(hdr).encode()
    open(name, 'wb').write(struct.pack('<Q', len(hb) if hlen is None else hlen) + hb + data)
st('st_hlen.safetensors', h, data, hlen=10**12)
open('st_json.safetensors', 'wb').write(struct.pack('<Q', 20) + b'{"a": [1,2,,,}garbag' + data)
h2 = copy.deepcopy(h); h2['transformer.wpe.weight']['data_offsets'][1] = 10**9
st('st_range.safetensors', h2, data)
h3 = copy.deepcopy(h); h3['transformer.wpe.weight']['data_offsets'] = [0, 2048]
st('st_overlap.safetensors', h3, data)
h4 = copy.deepcopy(h); h4['transformer.wpe.weight']['dtype'] = 'Q7'
st('st_dtype.safetensors', h4, data)
d = bytearray(data); d[0:4] = struct.pack('<f', float('nan'))
st('st_nan.safetensors', h, bytes(d))
c = bytearray(open('m.ckpt', 'rb').read())
open('ck_trunc.ckpt', 'wb').write(c[:len(c) // 2])
c2 = bytearray(c); c2[0:8] = b'BIASGPT9'; open('ck_magic.ckpt', 'wb').write(c2)
c3 = bytearray(c); c3[8:12] = struct.pack('<I', 7); open('ck_version.ckpt', 'wb').write(c3)
c4 = bytearray(c); hb = struct.unpack('<I', c4[12:16])[0]
c4[hb + 64:hb + 68] = struct.pack('<f', float('inf'))
c4[len(c4) - 12:len(c4) - 8] = struct.pack('<I', zlib.crc32(bytes(c4[:len(c4) - 12])))
open('ck_nan.ckpt', 'wb').write(c4)
# token files: a valid one (V 300, EOT 299) and one with a token outside its vocabulary
toks = [i % 290 for i in range(2000)] + [299]
def tok(name, ids, V):
    open(name, 'wb').write(b'BIASTOK\0' + struct.pack('<IIQI', 1, V, len(ids), 2) + b'\0' * 4 +
                           b''.join(struct.pack('<H', t) for t in ids))
tok('ok.tok', toks, 300)
tok('oov.tok', toks[:10] + [400] + toks[10:], 300)
EOF
    ) || bad "python3 crafting"
    refuse "safetensors header length" "st_hlen.safetensors: header length" - -- "$BIN" gpt2 info "$T/st_hlen.safetensors"
    refuse "safetensors JSON garbage" "st_json.safetensors: header is not a JSON object" - -- "$BIN" gpt2 info "$T/st_json.safetensors"
    refuse "safetensors offsets out of range" "tensor 'transformer.wpe.weight'" - -- "$BIN" gpt2 info "$T/st_range.safetensors"
    refuse "safetensors overlapping tensors" "overlaps the previous tensor" - -- "$BIN" gpt2 info "$T/st_overlap.safetensors"
    refuse "safetensors unknown dtype" "unsupported dtype 'Q7'" - -- "$BIN" gpt2 info "$T/st_dtype.safetensors"
    refuse "safetensors NaN weights" "st_nan.safetensors: tensor 'transformer.wte.weight': non-finite" "$O/c1.ckpt" -- \
        "$BIN" gpt2 convert "$T/st_nan.safetensors" "$O/c1.ckpt"
    refuse "checkpoint truncated" "ck_trunc.ckpt': truncated" - -- "$BIN" gpt2 info "$T/ck_trunc.ckpt"
    refuse "checkpoint wrong magic" "ck_magic.ckpt" - -- "$BIN" gpt2 info "$T/ck_magic.ckpt"
    refuse "checkpoint wrong version" "ck_version.ckpt': version 7" - -- "$BIN" gpt2 info "$T/ck_version.ckpt"
    refuse "checkpoint non-finite weights" "ck_nan.ckpt': tensor 'wte': non-finite weight at element 16" \
        "$O/c2.safetensors" -- "$BIN" gpt2 convert "$T/ck_nan.ckpt" "$O/c2.safetensors"
    cp "$T/m.ckpt" "$O/shape.ckpt"
    refuse "checkpoint shape mismatch" "shape.ckpt': config (maxT 32, V 300, L 1" "$O/shape.ckpt.log.csv" -- \
        "$BIN" gpt2 pretrain "$O/shape.ckpt" -d "$T/ok.tok" --layers 2 --heads 2 --channels 16 \
        --context 32 --vocab-size 300 --steps 2 --resume
    cmp -s "$T/m.ckpt" "$O/shape.ckpt" && ok || bad "refused resume changed the checkpoint"
    rm -f "$O/shape.ckpt"
    refuse "token outside the vocabulary" "oov.tok: token 10 is 400, outside the vocabulary" "$O/p1.ckpt" -- \
        "$BIN" gpt2 pretrain "$O/p1.ckpt" -d "$T/oov.tok" --layers 1 --heads 2 --channels 16 \
        --context 32 --vocab-size 300 --steps 2
else
    echo "SKIP crafted binary cases: python3 absent"
fi
head -c 100 /dev/zero >"$T/zero.tok"
refuse "token file bad magic" "zero.tok: not a token file" "$O/p2.ckpt" -- \
    "$BIN" gpt2 pretrain "$O/p2.ckpt" -d "$T/zero.tok" --layers 1 --heads 2 --channels 16 --context 32 --vocab-size 300 --steps 2

# --- tokenizer files ---------------------------------------------------------------------------------
mkdir -p "$T/tk1" "$T/tk2"
echo hello >"$T/h.txt"
printf '{"a": 0, "b": \n' >"$T/tk1/encoder.json"
printf '#version: 0.2\n' >"$T/tk1/vocab.bpe"
refuse "tokenizer encoder.json garbage" "tk1/encoder.json:1: malformed JSON" - -- "$BIN" tokenizer encode --vocab "$T/tk1" "$T/h.txt"
BPE=${BIASAMP_CACHE:-$HOME/.cache/biasamp}/gpt2-bpe
if [ -f "$BPE/encoder.json" ]; then
    cp "$BPE/encoder.json" "$T/tk2/"
    (head -5 "$BPE/vocab.bpe"; echo 'zzzqqq') >"$T/tk2/vocab.bpe"
    refuse "tokenizer vocab.bpe bad merge line" "tk2/vocab.bpe:6:" - -- "$BIN" tokenizer encode --vocab "$T/tk2" "$T/h.txt"
else
    echo "SKIP vocab.bpe case: GPT-2 BPE files absent (make deps)"
fi

# --- corpus lines and streams (a small fake data root) ----------------------------------------------
if [ -f "$DATA/abp/articles.jsonl.gz" ]; then
    mkdir -p "$T/fd/abp"
    cp -r "$DATA/abp/splits" "$T/fd/abp/"
    zcat "$DATA/abp/articles.jsonl.gz" 2>/dev/null | head -5 >"$T/good.jsonl"
    A=$T/fd/abp/articles.jsonl.gz
    (head -3 "$T/good.jsonl"; echo '{"ID": "x", "bias": 0, "title": "t", broken') | gzip >"$A"
    BIASAMP_DATA=$T/fd refuse "corpus bad JSON line" "articles.jsonl.gz:4: malformed JSON" "$O/cp1" -- "$BIN" corpus -o "$O/cp1" -q
    (head -3 "$T/good.jsonl"; echo '{"ID": "x", "bias": 0, "title": "t", "source": "s"}') | gzip >"$A"
    BIASAMP_DATA=$T/fd refuse "corpus missing field" "articles.jsonl.gz:4: missing or non-string field 'content_original'" "$O/cp2" -- "$BIN" corpus -o "$O/cp2" -q
    (head -3 "$T/good.jsonl"; echo '{"ID": "y", "bias": 7, "title": "t", "source": "s", "content_original": "c"}') | gzip >"$A"
    BIASAMP_DATA=$T/fd refuse "corpus bad class" "articles.jsonl.gz:4: field 'bias'" "$O/cp3" -- "$BIN" corpus -o "$O/cp3" -q
    head -c 3000 "$DATA/abp/articles.jsonl.gz" >"$A"
    BIASAMP_DATA=$T/fd refuse "corpus truncated gzip" "corrupt gzip stream" "$O/cp4" -- "$BIN" corpus -o "$O/cp4" -q
    head -c 200000 "$DATA/abp/articles.jsonl.gz" >"$A"
    printf '\xff\xff\xff\xff' | dd of="$A" bs=1 seek=5000 conv=notrunc 2>/dev/null
    BIASAMP_DATA=$T/fd refuse "corpus corrupt gzip" "articles.jsonl.gz:1: corrupt gzip stream" "$O/cp5" -- "$BIN" corpus -o "$O/cp5" -q
else
    echo "SKIP corpus cases: $DATA/abp absent"
fi
refuse "corpus bad mix" "corpus.mix: expected 3 shares" "$O/cp6" -- "$BIN" corpus -s corpus.mix="0.5 0.6" -o "$O/cp6"

# --- CSV inputs: plot and neurons ----------------------------------------------------------------------
printf 'a,b\n1,2\n' >"$T/nokind.csv"
refuse "plot table without kind" "nokind.csv: no '# kind=' metadata line" "$O/p1.png" -- "$BIN" plot "$T/nokind.csv" "$O/p1.png"
printf '# kind=sim_generations\nsetup,generation,bias\n0,0,abc\n' >"$T/cell.csv"
refuse "plot non-numeric cell" "cell.csv: data row 1, column 'bias': 'abc' is not a number" "$O/p2.png" -- "$BIN" plot "$T/cell.csv" "$O/p2.png"
printf '# kind=sim_generations\nsetup,generation,bias\n0,0\n' >"$T/ragged.csv"
refuse "plot ragged row" "ragged.csv:3:" "$O/p3.png" -- "$BIN" plot "$T/ragged.csv" "$O/p3.png"
refuse "plot missing table" "none.csv" "$O/p4.png" -- "$BIN" plot --script sim_moments "$T/none.csv" "$O/p4.png"
MI=$DATA/paper-reference/Mechanistic_Interpretation
if [ -d "$MI" ]; then
    P=Pearson_Correlation_Between_Neuron_Weight_and_Bias_Performance.csv
    mkdir -p "$T/nt1" "$T/nt2"
    cp "$MI"/*.csv "$T/nt1/" && cp "$MI"/*.csv "$T/nt2/" && chmod u+w "$T"/nt?/*.csv
    sed -i '6s/,[^,]*$/,abc/' "$T/nt1/$P"
    refuse "neurons bad number" "nt1/$P:6: bad number 'abc' in column 'pearson_correlation'" "$O/n1" -- \
        "$BIN" neurons --tables "$T/nt1" -o "$O/n1" --no-plot -q
    sed -i '6s/$/,1/' "$T/nt2/$P"
    refuse "neurons ragged row" "nt2/$P:6:" "$O/n2" -- "$BIN" neurons --tables "$T/nt2" -o "$O/n2" --no-plot -q
else
    echo "SKIP neurons table cases: $MI absent"
fi
refuse "neurons missing folder" "$T/none" "$O/n3" -- "$BIN" neurons --tables "$T/none" -o "$O/n3" --no-plot -q

# --- resumable states ------------------------------------------------------------------------------------
R=(-s sim.replicates=200 -s sim.n=50 --no-plot -q)
"$BIN" sim "$CFG" "${R[@]}" -o "$T/st" &
pid=$!
for _ in $(seq 1 2000); do [ -f "$T/st/sim.state/chunk_000000.bin" ] && break; sleep 0.005; done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
if [ -f "$T/st/sim.state/chunk_000000.bin" ] && [ ! -f "$T/st/generations.csv" ]; then
    printf 'X' | dd of="$T/st/sim.state/chunk_000000.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
    refuse "sim state corrupt chunk" "chunk_000000.bin: CRC-32 mismatch" "$T/st/generations.csv" -- \
        "$BIN" sim --resume -o "$T/st" --no-plot -q
    refuse "sim state other config" "chunk_000000.bin: written by another configuration" "$T/st/generations.csv" -- \
        "$BIN" sim "$CFG" -s sim.replicates=200 -s sim.n=60 --resume -o "$T/st" --no-plot -q
else
    echo "SKIP sim state cases: the run finished before it could be killed"
fi
refuse "sim fresh run over a killed one" "holds an unfinished run" - -- "$BIN" sim "$CFG" "${R[@]}" -o "$T/st"
mkdir -p "$O/es"
printf '# biasamp experiment state 1 config_hash=0\nrow 1 2 x\n' >"$O/es/state.txt"
cp configs/ci-experiment.ini "$O/es/config.ini"
refuse "experiment state malformed" "$O/es/state.txt" "$O/es/generations.csv" -- "$BIN" experiment --resume -o "$O/es" -q
rm -rf "$O/es"

# --- memory estimates over the available memory: refused before any work or output ------------------
refuse "sim memory (absurd replicates x generations)" "but only" "$O/mem1" -- \
    "$BIN" sim "$CFG" -s sim.replicates=10000000 -s sim.generations=1000 -o "$O/mem1" --no-plot
grep -q "sim: needs about .* GB (Monte Carlo: 10000000 replicates x 1000 generations" "$T/err" && ok ||
    bad "sim memory message: $(head -c 300 "$T/err")"
refuse "sim memory (absurd n)" "MemAvailable" "$O/mem2" -- "$BIN" sim "$CFG" -s sim.n=1000000000 -o "$O/mem2" --no-plot
refuse "experiment memory (absurd model)" "experiment: needs about" "$O/mem3" -- \
    "$BIN" experiment configs/ci-experiment.ini -s base.layers=96 -s base.channels=8192 \
    -s base.heads=64 -s base.context=4096 -o "$O/mem3" -q
grep -q "AdamW moments .* GB + activations for base.batch 8 x base.context 4096" "$T/err" && ok ||
    bad "experiment memory message: $(head -c 300 "$T/err")"
BIASAMP_MEM_AVAILABLE=1000000 refuse "gpt2 init memory (1 MB available)" "but only 0.001 GB are available (BIASAMP_MEM_AVAILABLE)" \
    "$O/mem4.ckpt" -- "$BIN" gpt2 init "$O/mem4.ckpt" --layers 2 --heads 2 --channels 64 --context 64 --vocab-size 1000
if [ -n "$PY" ]; then
    BIASAMP_MEM_AVAILABLE=5000000 refuse "gpt2 pretrain memory (5 MB available)" "pretrain: needs about" "$O/mem5.ckpt" -- \
        "$BIN" gpt2 pretrain "$O/mem5.ckpt" -d "$T/ok.tok" --layers 1 --heads 2 --channels 16 \
        --context 32 --vocab-size 300 --steps 2 --batch 512 --seq 32
fi

echo "bad inputs: $cases cases"
summary
