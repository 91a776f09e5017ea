// Test driver for ext/fdlibm_trig.h.
//
// Vector files are flat little-endian float64 triples (x, sin(x), cos(x)) as
// produced by node (bench/trig_vectors.js).
//
//   trig_driver check FILE
//       Compares qwop::fdlibm::sin/cos and glibc's std::sin/std::cos with the
//       recorded node results, bit for bit (any NaN matches any NaN).  Prints
//       one "key=value" summary line; exit status 0 iff ours has 0 mismatches.
//   trig_driver select IN OUT MAX KEEP_FIRST
//       Writes a subset of IN to OUT (at most MAX vectors, unless the forced
//       ones alone exceed it): the first KEEP_FIRST vectors, every vector
//       where glibc disagrees with node, and an even stride over the rest.
//
// Build: g++ -std=c++17 -O2 -ffp-contract=off -I ext tests/trig_driver.cpp

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fdlibm_trig.h"

namespace {

struct Vec {
  double x, s, c;
};

std::vector<Vec> load(const char* path) {
  std::vector<Vec> v;
  FILE* f = std::fopen(path, "rb");
  if (!f) {
    std::perror(path);
    std::exit(2);
  }
  unsigned char buf[24];
  while (std::fread(buf, 1, sizeof buf, f) == sizeof buf) {
    double d[3];
    for (int k = 0; k < 3; ++k) {
      std::uint64_t u = 0;
      for (int b = 7; b >= 0; --b) u = (u << 8) | buf[8 * k + b];  // LE
      std::memcpy(&d[k], &u, 8);
    }
    v.push_back({d[0], d[1], d[2]});
  }
  std::fclose(f);
  return v;
}

void store(const char* path, const std::vector<Vec>& v) {
  FILE* f = std::fopen(path, "wb");
  if (!f) {
    std::perror(path);
    std::exit(2);
  }
  for (const Vec& e : v) {
    const double d[3] = {e.x, e.s, e.c};
    unsigned char buf[24];
    for (int k = 0; k < 3; ++k) {
      std::uint64_t u;
      std::memcpy(&u, &d[k], 8);
      for (int b = 0; b < 8; ++b) buf[8 * k + b] = static_cast<unsigned char>(u >> (8 * b));
    }
    std::fwrite(buf, 1, sizeof buf, f);
  }
  std::fclose(f);
}

std::uint64_t bits(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, 8);
  return u;
}

bool same(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return bits(a) == bits(b);
}

// Keep glibc's calls out of reach of constant folding / builtin substitution.
double (*volatile glibc_sin)(double) = static_cast<double (*)(double)>(std::sin);
double (*volatile glibc_cos)(double) = static_cast<double (*)(double)>(std::cos);

bool glibc_wrong(const Vec& e) {
  return !same(glibc_sin(e.x), e.s) || !same(glibc_cos(e.x), e.c);
}

int check(const char* path) {
  const std::vector<Vec> v = load(path);
  long ours_sin = 0, ours_cos = 0, glibc_sin_bad = 0, glibc_cos_bad = 0, glibc_any = 0;
  int shown = 0;
  for (const Vec& e : v) {
    const double s = qwop::fdlibm::sin(e.x);
    const double c = qwop::fdlibm::cos(e.x);
    double fs, fc;  // the fused version the engine uses must agree too
    qwop::fdlibm::sincos(e.x, &fs, &fc);
    const bool bs = !same(s, e.s) || !same(fs, e.s), bc = !same(c, e.c) || !same(fc, e.c);
    ours_sin += bs;
    ours_cos += bc;
    if ((bs || bc) && shown < 10) {
      ++shown;
      std::fprintf(stderr, "MISMATCH x=%a (%.17g): sin ours=%a node=%a | cos ours=%a node=%a\n",
                   e.x, e.x, s, e.s, c, e.c);
    }
    const bool gs = !same(glibc_sin(e.x), e.s), gc = !same(glibc_cos(e.x), e.c);
    glibc_sin_bad += gs;
    glibc_cos_bad += gc;
    glibc_any += (gs || gc);
  }
  std::printf("vectors=%zu ours_sin_mismatch=%ld ours_cos_mismatch=%ld "
              "glibc_sin_mismatch=%ld glibc_cos_mismatch=%ld glibc_any_mismatch=%ld\n",
              v.size(), ours_sin, ours_cos, glibc_sin_bad, glibc_cos_bad, glibc_any);
  return (ours_sin == 0 && ours_cos == 0 && !v.empty()) ? 0 : 1;
}

int select_subset(const char* in, const char* out, long max_n, long keep_first) {
  const std::vector<Vec> v = load(in);
  std::vector<char> take(v.size(), 0);
  long forced = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (static_cast<long>(i) < keep_first || glibc_wrong(v[i])) {
      take[i] = 1;
      ++forced;
    }
  }
  const long rest = static_cast<long>(v.size()) - forced;
  const long room = max_n - forced;
  if (room > 0 && rest > 0) {
    // Even stride (Bresenham style) over the not-yet-taken vectors.
    long seen = 0, added = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (take[i]) continue;
      const long want = (seen + 1) * room / rest;
      if (want > added) {
        take[i] = 1;
        ++added;
      }
      ++seen;
    }
  }
  std::vector<Vec> sub;
  for (size_t i = 0; i < v.size(); ++i)
    if (take[i]) sub.push_back(v[i]);
  store(out, sub);
  std::printf("selected=%zu of %zu (forced=%ld: keep_first=%ld + glibc-disagreeing)\n",
              sub.size(), v.size(), forced, keep_first);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "check") == 0) return check(argv[2]);
  if (argc == 6 && std::strcmp(argv[1], "select") == 0)
    return select_subset(argv[2], argv[3], std::atol(argv[4]), std::atol(argv[5]));
  std::fprintf(stderr,
               "usage: %s check FILE | %s select IN OUT MAX KEEP_FIRST\n", argv[0], argv[0]);
  return 2;
}
