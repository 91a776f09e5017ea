#!/usr/bin/env node
// Writes test vectors for ext/fdlibm_trig.h: a flat little-endian float64 file
// of (x, Math.sin(x), Math.cos(x)) triples, computed by this node/V8.
//
//   node bench/trig_vectors.js OUT.bin            # standard set (~290k)
//   node bench/trig_vectors.js OUT.bin --full     # big random sweep (~3.2M)
//   node bench/trig_vectors.js OUT.bin --seed N   # different PRNG seed
//
// Reproducible: uses its own seeded PRNG (sfc32), never Math.random.
'use strict';
const fs = require('fs');

const args = process.argv.slice(2);
if (args.length < 1) {
  console.error('usage: node trig_vectors.js OUT.bin [--full] [--seed N]');
  process.exit(2);
}
const outPath = args[0];
const full = args.includes('--full');
const seedIdx = args.indexOf('--seed');
const seed = seedIdx >= 0 ? Number(args[seedIdx + 1]) >>> 0 : 20240601;

// ---- PRNG: sfc32, seeded via splitmix32 -------------------------------
function splitmix32(a) {
  return function () {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}
const sm = splitmix32(seed);
let sa = sm(), sb = sm(), sc = sm(), sd = sm();
function u32() {
  const t = (((sa + sb) | 0) + sd) | 0;
  sd = (sd + 1) | 0;
  sa = sb ^ (sb >>> 9);
  sb = (sc + (sc << 3)) | 0;
  sc = (sc << 21) | (sc >>> 11);
  sc = (sc + t) | 0;
  return t >>> 0;
}
for (let i = 0; i < 16; i++) u32();
// uniform double in [0, 1) with 53 random bits
function unit() {
  return ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
}
function uniform(lo, hi) { return lo + (hi - lo) * unit(); }

// ---- bit helpers --------------------------------------------------------
const dv = new DataView(new ArrayBuffer(8));
function bitsOf(x) { dv.setFloat64(0, x, true); return dv.getBigUint64(0, true); }
function fromBits(b) { dv.setBigUint64(0, BigInt.asUintN(64, b), true); return dv.getFloat64(0, true); }
function fromWords(hi, lo) { dv.setUint32(4, hi >>> 0, true); dv.setUint32(0, lo >>> 0, true); return dv.getFloat64(0, true); }
// step k ulps away from x (k may be negative), staying on the same side of 0
function ulpStep(x, k) {
  if (x === 0) return k >= 0 ? fromBits(BigInt(k)) : -fromBits(BigInt(-k));
  const b = bitsOf(Math.abs(x)) + BigInt(k);
  const y = fromBits(b < 0n ? 0n : b);
  return x < 0 ? -y : y;
}

// ---- argument generation -----------------------------------------------
const xs = [];
function push(x) { xs.push(x); }
function pushBoth(x) { xs.push(x); xs.push(-x); }

function randomHuge() {
  // |x| in [2^20, ~1e300]: random exponent, random 52-bit mantissa, random sign
  const e = 20 + (u32() % (996 - 20 + 1));
  const hi = ((e + 1023) << 20) | (u32() & 0xfffff);
  const x = fromWords(hi, u32());
  return (u32() & 1) ? -x : x;
}

// ---- special values -----------------------------------------------------
push(0); push(-0);
push(Infinity); push(-Infinity); push(NaN);
pushBoth(Number.MIN_VALUE);
pushBoth(fromBits(0x000fffffffffffffn));   // largest subnormal
pushBoth(fromBits(0x0010000000000000n));   // smallest normal
for (let i = 0; i < 200; i++) pushBoth(fromWords(u32() & 0xfffff, u32()));  // random subnormals
pushBoth(Number.MAX_VALUE);
for (const k of [1, 2, 3, 10]) pushBoth(ulpStep(Number.MAX_VALUE, -k));
for (const v of [1e22, 1e300, 1e308, 1e100, 1e50, 1e20, 1e16, 1e15, 123456789.0,
                 Math.PI, Math.PI / 2, Math.PI / 4, 2 * Math.PI, 0.3, 0.78125,
                 1, 0.5, 2, 10, 100, 1000, 1e4, 1e5, 1e6]) {
  for (let k = -3; k <= 3; k++) pushBoth(ulpStep(v, k));
}

// hardest known double for pi/2 reduction: 6381956970095103 * 2^797 lies
// within ~2^-61 of a multiple of pi/2 (exercises the extra-terms path)
{
  const worst = 6381956970095103 * Math.pow(2, 797);  // exact
  for (let k = -3; k <= 3; k++) pushBoth(ulpStep(worst, k));
}

// powers of two (every exponent) and their neighbours
for (let e = -1074; e <= 1023; e++) {
  const p = Math.pow(2, e);
  pushBoth(p);
  if (e > -1074) { pushBoth(ulpStep(p, -1)); pushBoth(ulpStep(p, 1)); }
}

// high-word thresholds used by the algorithm (reduction, kernels, 2^-27, ...)
const thresholds = [
  0x3e400000,  // 2^-27 kernel shortcut
  0x3fd33333,  // 0.3 in kernel_cos
  0x3fe90000,  // 0.78125 in kernel_cos
  0x3fe921fb,  // pi/4 (no reduction)
  0x3ff921fb,  // pi/2 special case
  0x4002d97c,  // 3pi/4
  0x413921fb,  // 2^19 * pi/2 (medium/large)
  0x7fefffff,
];
for (const hw of thresholds) {
  for (const lo of [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]) {
    pushBoth(fromWords(hw, lo));
    pushBoth(fromWords(hw - 1, lo));
    pushBoth(fromWords(hw + 1, lo));
  }
  for (let i = 0; i < 50; i++) pushBoth(fromWords(hw, u32()));
}

const nHandPicked = xs.length;  // always kept by the subset selection

// doubles nearest to k*pi/4 and their ulp neighbours (worst cancellation)
for (let k = 1; k <= 4000; k++) {
  const c = k * (Math.PI / 4);
  for (let d = -4; d <= 4; d++) pushBoth(ulpStep(c, d));
}
// a few multiples of pi/2 deep into the medium range and beyond 2^19*pi/2
for (let i = 0; i < 3000; i++) {
  const k = 1 + (u32() % 2000000);
  const c = k * (Math.PI / 2);
  for (let d = -2; d <= 2; d++) pushBoth(ulpStep(c, d));
}

// ---- random arguments -------------------------------------------------
const scale = full ? 10 : 1;
const nSmall = full ? 2000000 : 200000;
for (let i = 0; i < nSmall; i++) push(uniform(-8, 8));
for (let i = 0; i < 50000 * scale; i++) push(uniform(-100, 100));
for (let i = 0; i < 20000 * scale; i++) push(uniform(-1e6, 1e6));
for (let i = 0; i < 5000 * scale; i++) push(randomHuge());
if (full) {
  // a log-uniform sweep over everything from 2^-30 to 2^1023
  for (let i = 0; i < 200000; i++) {
    const e = -30 + (u32() % 1054);
    const x = fromWords(((e + 1023) << 20) | (u32() & 0xfffff), u32());
    push((u32() & 1) ? -x : x);
  }
}

// ---- evaluate and write -------------------------------------------------
const out = new Float64Array(xs.length * 3);
for (let i = 0; i < xs.length; i++) {
  const x = xs[i];
  out[3 * i] = x;
  out[3 * i + 1] = Math.sin(x);
  out[3 * i + 2] = Math.cos(x);
}
// Float64Array is host-endian; every platform node runs QWOP on is little-endian,
// but make it explicit.
const buf = Buffer.alloc(out.length * 8);
for (let i = 0; i < out.length; i++) buf.writeDoubleLE(out[i], 8 * i);
fs.writeFileSync(outPath, buf);
console.log(`wrote ${xs.length} vectors (${buf.length} bytes) to ${outPath} ` +
            `[node ${process.version}, seed ${seed}${full ? ', full' : ''}]; ` +
            `hand_picked=${nHandPicked}`);
