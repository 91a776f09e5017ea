// fdlibm_trig.h -- sin/cos that are bit-identical to V8's (node's) Math.sin /
// Math.cos on every double.
//
// Why: the QWOP reference runs in node, whose V8 computes Math.sin/Math.cos
// with its port of fdlibm 5.3 (deps/v8/src/base/ieee754.cc).  glibc's
// correctly-rounded-ish sin/cos disagree with it in the last bit for a few
// percent of arguments, which is enough to make a Box2D simulation diverge.
//
// Algorithm credit
// ----------------
// The algorithm (Payne-Hanek style argument reduction via a 24-bit-chunk
// table of 2/pi, Cody-Waite medium-range reduction, the minimax kernels and
// the quadrant wrappers) and every numeric constant below come from fdlibm 5.3
// (files e_rem_pio2.c, k_rem_pio2.c, k_sin.c, k_cos.c, s_sin.c, s_cos.c),
// which V8 uses unchanged in behaviour for Math.sin / Math.cos.  fdlibm's
// notice, preserved as it requires:
//
//   ====================================================
//   Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//
//   Developed at SunSoft, a Sun Microsystems, Inc. business.
//   Permission to use, copy, modify, and distribute this
//   software is freely granted, provided that this notice
//   is preserved.
//   ====================================================
//
// This file is a fresh C++17 rendering (header-only, no type punning: all bit
// access goes through std::memcpy).  The floating-point operations are
// performed in exactly the order fdlibm performs them; do not "simplify"
// expressions here, and compile without FMA contraction and without
// fast-math (the project uses -ffp-contract=off), otherwise results change.
// Verified against node 20 by tests/test_trig.py.

#ifndef QWOP_FDLIBM_TRIG_H
#define QWOP_FDLIBM_TRIG_H

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__FAST_MATH__)
#error "fdlibm_trig.h must not be compiled with -ffast-math (results would differ from V8)"
#endif

namespace qwop {
namespace fdlibm {
namespace detail {

// ---------------------------------------------------------------- bit access

inline std::uint64_t to_bits(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

inline double from_bits(std::uint64_t u) {
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// Upper 32 bits (sign, exponent, top 20 mantissa bits), as a signed int like
// fdlibm's __HI().
inline std::int32_t high_word(double x) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(to_bits(x) >> 32));
}

inline std::uint32_t low_word(double x) {
  return static_cast<std::uint32_t>(to_bits(x));
}

inline double from_words(std::uint32_t hi, std::uint32_t lo) {
  return from_bits((static_cast<std::uint64_t>(hi) << 32) | lo);
}

// ------------------------------------------------------------------ tables

// 2/pi in 24-bit chunks: chunk i holds bits 24i+1 .. 24i+24 after the binary
// point (so 2/pi = sum chunk[i] * 2^(-24(i+1))).  396 hex digits.
constexpr std::int32_t kTwoOverPi[66] = {
    0xA2F983, 0x6E4E44, 0x1529FC, 0x2757D1, 0xF534DD, 0xC0DB62, 0x95993C, 0x439041,
    0xFE5163, 0xABDEBB, 0xC561B7, 0x246E3A, 0x424DD2, 0xE00649, 0x2EEA09, 0xD1921C,
    0xFE1DEB, 0x1CB129, 0xA73EE8, 0x8235F5, 0x2EBB44, 0x84E99C, 0x7026B4, 0x5F7E41,
    0x3991D6, 0x398353, 0x39F49C, 0x845F8B, 0xBDF928, 0x3B1FF8, 0x97FFDE, 0x05980F,
    0xEF2F11, 0x8B5A0A, 0x6D1F6D, 0x367ECF, 0x27CB09, 0xB74F46, 0x3F669E, 0x5FEA2D,
    0x7527BA, 0xC7EBE5, 0xF17B3D, 0x0739F7, 0x8A5292, 0xEA6BFB, 0x5FB11F, 0x8D5D08,
    0x560330, 0x46FC7B, 0x6BABF0, 0xCFBC20, 0x9AF436, 0x1DA9E3, 0x91615E, 0xE61B08,
    0x659985, 0x5F14A0, 0x68408D, 0xFFD880, 0x4D7327, 0x310606, 0x1556CA, 0x73A8C9,
    0x60E27B, 0xC08C6B,
};

// High words of k*pi/2 for k = 1..32; an argument whose high word equals one
// of these may suffer cancellation in the one-step medium reduction.
constexpr std::int32_t kHalfPiMultipleHigh[32] = {
    0x3FF921FB, 0x400921FB, 0x4012D97C, 0x401921FB, 0x401F6A7A, 0x4022D97C, 0x4025FDBB, 0x402921FB,
    0x402C463A, 0x402F6A7A, 0x4031475C, 0x4032D97C, 0x40346B9C, 0x4035FDBB, 0x40378FDB, 0x403921FB,
    0x403AB41B, 0x403C463A, 0x403DD85A, 0x403F6A7A, 0x40407E4C, 0x4041475C, 0x4042106C, 0x4042D97C,
    0x4043A28C, 0x40446B9C, 0x404534AC, 0x4045FDBB, 0x4046C6CB, 0x40478FDB, 0x404858EB, 0x404921FB,
};

// pi/2 cut into pieces of 24 significant bits each (for the large-argument
// path).
constexpr double kHalfPiChunks[8] = {
    0x1.921fb4p+0,   0x1.4442d0p-24,  0x1.846988p-48,  0x1.8cc516p-72,
    0x1.01b838p-96,  0x1.a25204p-120, 0x1.382228p-145, 0x1.9f31d0p-169,
};

constexpr double kTwo24 = 0x1p+24;
constexpr double kTwoM24 = 0x1p-24;

// Medium-range (Cody-Waite) constants.
constexpr double kInvHalfPi = 0x1.45f306dc9c883p-1;  // 53 bits of 2/pi
constexpr double kHalfPi1 = 0x1.921fb544p+0;         // first 33 bits of pi/2
constexpr double kHalfPi1Tail = 0x1.0b4611a626331p-34;  // pi/2 - kHalfPi1
constexpr double kHalfPi2 = 0x1.0b4611a6p-34;        // next 33 bits
constexpr double kHalfPi2Tail = 0x1.3198a2e037073p-69;  // pi/2 - (1 + 2)
constexpr double kHalfPi3 = 0x1.3198a2ep-69;         // next 33 bits
constexpr double kHalfPi3Tail = 0x1.b839a252049c1p-104;  // pi/2 - (1 + 2 + 3)

// Kernel polynomial coefficients.
constexpr double kS1 = -0x1.5555555555549p-3;
constexpr double kS2 = 0x1.111111110f8a6p-7;
constexpr double kS3 = -0x1.a01a019c161d5p-13;
constexpr double kS4 = 0x1.71de357b1fe7dp-19;
constexpr double kS5 = -0x1.ae5e68a2b9cebp-26;
constexpr double kS6 = 0x1.5d93a5acfd57cp-33;

constexpr double kC1 = 0x1.555555555554cp-5;
constexpr double kC2 = -0x1.6c16c16c15177p-10;
constexpr double kC3 = 0x1.a01a019cb159p-16;
constexpr double kC4 = -0x1.27e4f809c52adp-22;
constexpr double kC5 = 0x1.1ee9ebdb4b1c4p-29;
constexpr double kC6 = -0x1.8fae9be8838d4p-37;

// ------------------------------------------------------------------ kernels

// sin(x + tail) for |x| <~ pi/4; `tail` is ignored unless has_tail.
inline double kernel_sin(double x, double tail, bool has_tail) {
  const std::int32_t ahi = high_word(x) & 0x7fffffff;
  if (ahi < 0x3e400000) return x;  // |x| < 2^-27: sin(x) rounds to x
  const double z = x * x;
  const double v = z * x;
  const double r = kS2 + z * (kS3 + z * (kS4 + z * (kS5 + z * kS6)));
  if (!has_tail) return x + v * (kS1 + z * r);
  return x - ((z * (0.5 * tail - v * r) - tail) - v * kS1);
}

// cos(x + tail) for |x| <~ pi/4.
inline double kernel_cos(double x, double tail) {
  const std::int32_t ahi = high_word(x) & 0x7fffffff;
  if (ahi < 0x3e400000) return 1.0;  // |x| < 2^-27
  const double z = x * x;
  const double r =
      z * (kC1 + z * (kC2 + z * (kC3 + z * (kC4 + z * (kC5 + z * kC6)))));
  if (ahi < 0x3fd33333) {  // |x| < 0.3
    return 1.0 - (0.5 * z - (z * r - x * tail));
  }
  // Split off an exactly representable qx (~|x|^2/2 lower bound) so that the
  // final subtraction loses less precision.
  const double qx = (ahi > 0x3fe90000)
                        ? 0.28125
                        : from_words(static_cast<std::uint32_t>(ahi - 0x00200000), 0u);
  const double hz = 0.5 * z - qx;
  const double a = 1.0 - qx;
  return a - (hz - (z * r - x * tail));
}

// --------------------------------------------------- large-argument reduction

// Given |x| = sum_{i<nx} xs[i] * 2^(e0 - 24 i) (xs[i] integers < 2^24), writes
// x - N*pi/2 as out[0] + out[1] (53+ bits) and returns N mod 8.  This is
// fdlibm's __kernel_rem_pio2 for the double-precision case (jk = 4).
inline int rem_pio2_large(const double* xs, double* out, int e0, int nx) {
  constexpr int jk = 4;  // initial number of 2/pi terms beyond the first
  constexpr int jp = jk;

  double f[20] = {}, q[20] = {}, fq[20] = {};
  std::int32_t iq[20] = {};

  const int jx = nx - 1;
  int jv = (e0 - 3) / 24;
  if (jv < 0) jv = 0;
  int q0 = e0 - 24 * (jv + 1);

  // f[0..jx+jk] = kTwoOverPi[jv-jx .. jv+jk] (zero for negative indices).
  for (int i = 0, j = jv - jx; i <= jx + jk; ++i, ++j) {
    f[i] = (j < 0) ? 0.0 : static_cast<double>(kTwoOverPi[j]);
  }
  for (int i = 0; i <= jk; ++i) {
    double acc = 0.0;
    for (int j = 0; j <= jx; ++j) acc += xs[j] * f[jx + i - j];
    q[i] = acc;
  }

  int jz = jk;
  int n = 0;
  int ih = 0;
  double z = 0.0;
  for (;;) {
    // Break q[0..jz] into 24-bit integer chunks iq[], least significant first.
    z = q[jz];
    for (int i = 0, j = jz; j > 0; ++i, --j) {
      const double hi = static_cast<double>(static_cast<std::int32_t>(kTwoM24 * z));
      iq[i] = static_cast<std::int32_t>(z - kTwo24 * hi);
      z = q[j - 1] + hi;
    }

    // Integer part mod 8 and fraction.
    z = std::scalbn(z, q0);
    z -= 8.0 * std::floor(z * 0.125);
    n = static_cast<int>(z);
    z -= static_cast<double>(n);
    ih = 0;
    if (q0 > 0) {  // the lowest integer bits live in iq[jz-1]
      const std::int32_t top = iq[jz - 1] >> (24 - q0);
      n += top;
      iq[jz - 1] -= top * (1 << (24 - q0));
      ih = iq[jz - 1] >> (23 - q0);
    } else if (q0 == 0) {
      ih = iq[jz - 1] >> 23;
    } else if (z >= 0.5) {
      ih = 2;
    }

    if (ih > 0) {  // fraction >= 1/2: use N+1 and the (negative) complement
      n += 1;
      bool borrow = false;
      for (int i = 0; i < jz; ++i) {
        const std::int32_t c = iq[i];
        if (!borrow) {
          if (c != 0) {
            borrow = true;
            iq[i] = 0x1000000 - c;
          }
        } else {
          iq[i] = 0xffffff - c;
        }
      }
      if (q0 == 1) {
        iq[jz - 1] &= 0x7fffff;
      } else if (q0 == 2) {
        iq[jz - 1] &= 0x3fffff;
      }
      if (ih == 2) {
        z = 1.0 - z;
        if (borrow) z -= std::scalbn(1.0, q0);
      }
    }

    if (z != 0.0) break;
    std::int32_t any = 0;
    for (int i = jz - 1; i >= jk; --i) any |= iq[i];
    if (any != 0) break;

    // Catastrophic cancellation: pull in more terms of 2/pi and redo.
    int k = 1;
    while (k <= jk && iq[jk - k] == 0) ++k;
    for (int i = jz + 1; i <= jz + k; ++i) {
      f[jx + i] = static_cast<double>(kTwoOverPi[jv + i]);
      double acc = 0.0;
      for (int j = 0; j <= jx; ++j) acc += xs[j] * f[jx + i - j];
      q[i] = acc;
    }
    jz += k;
  }

  // Drop trailing zero chunks, or store the remaining fraction as chunks.
  if (z == 0.0) {
    jz -= 1;
    q0 -= 24;
    while (iq[jz] == 0) {
      --jz;
      q0 -= 24;
    }
  } else {
    z = std::scalbn(z, -q0);
    if (z >= kTwo24) {
      const double hi = static_cast<double>(static_cast<std::int32_t>(kTwoM24 * z));
      iq[jz] = static_cast<std::int32_t>(z - kTwo24 * hi);
      jz += 1;
      q0 += 24;
      iq[jz] = static_cast<std::int32_t>(hi);
    } else {
      iq[jz] = static_cast<std::int32_t>(z);
    }
  }

  // Chunks back to (scaled) doubles.
  double scale = std::scalbn(1.0, q0);
  for (int i = jz; i >= 0; --i) {
    q[i] = scale * static_cast<double>(iq[i]);
    scale *= kTwoM24;
  }

  // fq[m] = sum_k kHalfPiChunks[k] * q[jz-m+k]
  for (int i = jz; i >= 0; --i) {
    double acc = 0.0;
    for (int k = 0; k <= jp && k <= jz - i; ++k) acc += kHalfPiChunks[k] * q[i + k];
    fq[jz - i] = acc;
  }

  // Compress into a head/tail pair.
  double head = 0.0;
  for (int i = jz; i >= 0; --i) head += fq[i];
  double tail = fq[0] - head;
  for (int i = 1; i <= jz; ++i) tail += fq[i];
  out[0] = (ih == 0) ? head : -head;
  out[1] = (ih == 0) ? tail : -tail;
  return n & 7;
}

// ----------------------------------------------------- argument reduction

// x = N*pi/2 + (y[0] + y[1]) with |y[0] + y[1]| <~ pi/4; returns N (its low
// two bits select the quadrant).  fdlibm's __ieee754_rem_pio2.
inline int rem_pio2(double x, double* y) {
  const std::int32_t hx = high_word(x);
  const std::int32_t ix = hx & 0x7fffffff;

  if (ix <= 0x3fe921fb) {  // |x| <~ pi/4: nothing to do
    y[0] = x;
    y[1] = 0.0;
    return 0;
  }

  if (ix < 0x4002d97c) {  // |x| < 3pi/4: N = +-1
    // 33+53 bits of pi/2 suffice, except right next to pi/2 where a third
    // 33-bit piece is needed.
    const bool near_half_pi = (ix == 0x3ff921fb);
    if (hx > 0) {
      double z = x - kHalfPi1;
      if (!near_half_pi) {
        y[0] = z - kHalfPi1Tail;
        y[1] = (z - y[0]) - kHalfPi1Tail;
      } else {
        z -= kHalfPi2;
        y[0] = z - kHalfPi2Tail;
        y[1] = (z - y[0]) - kHalfPi2Tail;
      }
      return 1;
    }
    double z = x + kHalfPi1;
    if (!near_half_pi) {
      y[0] = z + kHalfPi1Tail;
      y[1] = (z - y[0]) + kHalfPi1Tail;
    } else {
      z += kHalfPi2;
      y[0] = z + kHalfPi2Tail;
      y[1] = (z - y[0]) + kHalfPi2Tail;
    }
    return -1;
  }

  if (ix <= 0x413921fb) {  // |x| <~ 2^19 * pi/2: Cody-Waite
    const double ax = std::fabs(x);
    const int n = static_cast<int>(ax * kInvHalfPi + 0.5);
    const double fn = static_cast<double>(n);
    double r = ax - fn * kHalfPi1;
    double w = fn * kHalfPi1Tail;  // first pass good to ~85 bits
    if (n < 32 && ix != kHalfPiMultipleHigh[n - 1]) {
      y[0] = r - w;  // no cancellation possible
    } else {
      const int ex = ix >> 20;
      y[0] = r - w;
      int lost = ex - static_cast<int>((static_cast<std::uint32_t>(high_word(y[0])) >> 20) & 0x7ff);
      if (lost > 16) {  // second pass, good to ~118 bits
        double t = r;
        w = fn * kHalfPi2;
        r = t - w;
        w = fn * kHalfPi2Tail - ((t - r) - w);
        y[0] = r - w;
        lost = ex - static_cast<int>((static_cast<std::uint32_t>(high_word(y[0])) >> 20) & 0x7ff);
        if (lost > 49) {  // third pass, ~151 bits, covers every double
          t = r;
          w = fn * kHalfPi3;
          r = t - w;
          w = fn * kHalfPi3Tail - ((t - r) - w);
          y[0] = r - w;
        }
      }
    }
    y[1] = (r - y[0]) - w;
    if (hx < 0) {
      y[0] = -y[0];
      y[1] = -y[1];
      return -n;
    }
    return n;
  }

  if (ix >= 0x7ff00000) {  // inf or NaN
    y[0] = y[1] = x - x;
    return 0;
  }

  // Large |x|: split |x| * 2^-e0 into three 24-bit integer pieces.
  const int e0 = (ix >> 20) - 1046;  // ilogb(|x|) - 23
  double z = from_words(static_cast<std::uint32_t>(ix - e0 * 0x100000), low_word(x));
  double pieces[3];
  for (int i = 0; i < 2; ++i) {
    pieces[i] = static_cast<double>(static_cast<std::int32_t>(z));
    z = (z - pieces[i]) * kTwo24;
  }
  pieces[2] = z;
  int nx = 3;
  while (pieces[nx - 1] == 0.0) --nx;
  const int n = rem_pio2_large(pieces, y, e0, nx);
  if (hx < 0) {
    y[0] = -y[0];
    y[1] = -y[1];
    return -n;
  }
  return n;
}

}  // namespace detail

// ------------------------------------------------------------- public API

// Same result as node's Math.sin(x), bit for bit.
inline double sin(double x) {
  const std::int32_t ix = detail::high_word(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return detail::kernel_sin(x, 0.0, false);
  if (ix >= 0x7ff00000) return x - x;  // NaN for inf / NaN
  double y[2];
  const int n = detail::rem_pio2(x, y);
  switch (n & 3) {
    case 0: return detail::kernel_sin(y[0], y[1], true);
    case 1: return detail::kernel_cos(y[0], y[1]);
    case 2: return -detail::kernel_sin(y[0], y[1], true);
    default: return -detail::kernel_cos(y[0], y[1]);
  }
}

// Same result as node's Math.cos(x), bit for bit.
inline double cos(double x) {
  const std::int32_t ix = detail::high_word(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return detail::kernel_cos(x, 0.0);
  if (ix >= 0x7ff00000) return x - x;  // NaN for inf / NaN
  double y[2];
  const int n = detail::rem_pio2(x, y);
  switch (n & 3) {
    case 0: return detail::kernel_cos(y[0], y[1]);
    case 1: return -detail::kernel_sin(y[0], y[1], true);
    case 2: return -detail::kernel_cos(y[0], y[1]);
    default: return detail::kernel_sin(y[0], y[1], true);
  }
}

// sin(x) and cos(x) with one argument reduction: the same bits as sin() and
// cos() above (both reduce x the same way), at about half the cost.
inline void sincos(double x, double* s, double* c) {
  const std::int32_t ix = detail::high_word(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) {
    *s = detail::kernel_sin(x, 0.0, false);
    *c = detail::kernel_cos(x, 0.0);
    return;
  }
  if (ix >= 0x7ff00000) {
    *s = *c = x - x;
    return;
  }
  double y[2];
  const int n = detail::rem_pio2(x, y);
  const double ks = detail::kernel_sin(y[0], y[1], true);
  const double kc = detail::kernel_cos(y[0], y[1]);
  switch (n & 3) {
    case 0: *s = ks, *c = kc; break;
    case 1: *s = kc, *c = -ks; break;
    case 2: *s = -ks, *c = -kc; break;
    default: *s = -kc, *c = ks; break;
  }
}

}  // namespace fdlibm
}  // namespace qwop

#endif  // QWOP_FDLIBM_TRIG_H
