// gpt3_encoder_bench.js: the npm package gpt-3-encoder (JavaScript GPT-2 BPE) on the same
// documents as biasamp, for bench/bench_tokenizer.sh (speed) and tests/cli/tokenizer_node.sh (ids).
//   node gpt3_encoder_bench.js PKGDIR time REPEATS FILE...  -> one line of key=value numbers
//   node gpt3_encoder_bench.js PKGDIR ids FILE...           -> one line of ids per FILE
//   node gpt3_encoder_bench.js PKGDIR abp N JSONL.GZ OUTDIR -> first N articles, OUTDIR/NNNNN.txt
// Each FILE is one document (UTF-8). The package keeps a BPE cache for the life of the process, so
// the first pass ("cold") starts empty like biasamp's per-call cache; later passes are "warm".
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

function usage() {
    process.stderr.write('usage: node gpt3_encoder_bench.js PKGDIR time REPEATS FILE... | ' +
                         'PKGDIR ids FILE... | PKGDIR abp N JSONL.GZ OUTDIR\n');
    process.exit(2);
}

const [pkg, mode, ...rest] = process.argv.slice(2);
if (!pkg || !mode) usage();

if (mode === 'abp') {
    // "title: <title>\nbody: <body>" as biasamp's corpus_format, for the first N articles; the
    // gzip stream is read only as far as needed.
    const [n, gz, out] = [parseInt(rest[0], 10), rest[1], rest[2]];
    if (!(n > 0) || !gz || !out) usage();
    const rl = require('readline').createInterface(
        { input: fs.createReadStream(gz).pipe(zlib.createGunzip()), crlfDelay: Infinity });
    let k = 0;
    rl.on('line', line => {
        if (k >= n || !line) return;
        const a = JSON.parse(line);
        const name = path.join(out, String(k++).padStart(5, '0') + '.txt');
        fs.writeFileSync(name, 'title: ' + a.title + '\nbody: ' + a.content_original);
        if (k === n) rl.close();
    });
    rl.on('close', () => {
        process.stdout.write(k + '\n');
        process.exit(0);
    });
    return;
}

const t0 = process.hrtime.bigint();
const { encode } = require(path.resolve(pkg));
const loadS = Number(process.hrtime.bigint() - t0) / 1e9;

if (mode === 'ids') {
    const out = [];
    for (const f of rest) out.push(encode(fs.readFileSync(f, 'utf8')).join(' '));
    process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
} else if (mode === 'time') {
    const repeats = parseInt(rest[0], 10);
    const files = rest.slice(1);
    if (!(repeats > 0) || !files.length) usage();
    const docs = files.map(f => fs.readFileSync(f, 'utf8'));
    const bytes = docs.reduce((s, d) => s + Buffer.byteLength(d, 'utf8'), 0);
    let tokens = 0, cold = 0, warm = Infinity;
    for (let r = 0; r < repeats; r++) {
        const t = process.hrtime.bigint();
        let n = 0;
        for (const d of docs) n += encode(d).length;
        const s = Number(process.hrtime.bigint() - t) / 1e9;
        if (r === 0) cold = s, tokens = n;
        else warm = Math.min(warm, s);
    }
    process.stdout.write(`docs=${docs.length} bytes=${bytes} tokens=${tokens} load_s=${loadS} ` +
                         `cold_s=${cold} warm_s=${repeats > 1 ? warm : 'nan'}\n`);
} else {
    usage();
}
