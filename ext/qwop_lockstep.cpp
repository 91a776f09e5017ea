// The runner islands of up to four worlds solved side by side; see
// qwop_lockstep.h for why. Every vector expression below is the scalar
// expression of qwop_physics.cpp it stands for, operand for operand and in
// the same order (IEEE arithmetic on a lane is the arithmetic of the scalar
// code, so the bits agree); branches become per-lane selects. Keep the two in
// step: tests/test_deterministic.py and tests/test_align.py compare batched
// worlds with worlds solved alone and with the recordings.
#include "qwop_lockstep.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>

#include <immintrin.h>

#include "fdlibm_trig.h"

// The vector code below is built for AVX2 (4 doubles a register) whatever
// the compiler's default target, and used only where the CPU has it
// (LockstepAvailable); elsewhere Batch solves the worlds one by one, which
// gives the same bits. AVX2 without FMA: no contraction of a * b + c.
#pragma GCC push_options
#pragma GCC target("avx2")

namespace qwop {
namespace physics {

using namespace settings;

namespace {

// GCC/Clang vector extensions: 4 doubles, lowered to whatever the target has
// (two SSE2 halves on baseline x86-64, one AVX register where available).
typedef double V __attribute__((vector_size(32)));
typedef long long M __attribute__((vector_size(32)));  // lane masks: -1 or 0

inline V Splat(double x) { return V{x, x, x, x}; }
typedef int I4 __attribute__((vector_size(16)));
inline I4 Sel4(I4 m, I4 a, I4 b) { return m ? a : b; }
inline M SelM(M m, M a, M b) { return m ? a : b; }
inline V Sel(M m, V a, V b) { return m ? a : b; }
inline M Mask(const bool* b) { return M{b[0] ? -1LL : 0, b[1] ? -1LL : 0, b[2] ? -1LL : 0, b[3] ? -1LL : 0}; }
// The scalar helpers of qwop_physics.cpp, with the same operand returned on ties.
inline V Clamp(V a, V lo, V hi) { return Sel(a < lo, lo, Sel(a > hi, hi, a)); }
inline V Min(V a, V b) { return Sel(a < b, a, b); }
inline V Max(V a, V b) { return Sel(a > b, a, b); }
inline V Abs(V a) { return Sel(a > 0.0, a, -a); }

// PointK (the revolute joint's K = K1 + K2 + K3, entry by entry in that order).
inline void PointK(V im1, V im2, V ii1, V ii2, V r1x, V r1y, V r2x, V r2y, V* k11, V* k12, V* k21, V* k22) {
  *k11 = im1 + im2, *k12 = Splat(0.0), *k21 = Splat(0.0), *k22 = im1 + im2;
  *k11 += ii1 * r1y * r1y;
  *k12 += -ii1 * r1x * r1y;
  *k21 += -ii1 * r1x * r1y;
  *k22 += ii1 * r1x * r1x;
  *k11 += ii2 * r2y * r2y;
  *k12 += -ii2 * r2x * r2y;
  *k21 += -ii2 * r2x * r2y;
  *k22 += ii2 * r2x * r2x;
}

inline int32_t HighWord(double x) {
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return static_cast<int32_t>(u >> 32);
}

// fdlibm::sincos of four angles: the argument reduction per lane where one
// is needed (|x| > pi/4, rare for a runner's bodies), the two kernels as
// vectors, the quadrant as selects. The kernels' branches (tiny argument,
// reduced argument with a tail, |x| < 0.3) are computed both ways and
// selected, each way with fdlibm's operations.
inline M HighWords(V x) { return (reinterpret_cast<M&>(x) >> 32) & 0x7fffffff; }
// Whether any lane of a mask is set.
inline bool Any(M m) { return _mm256_movemask_pd(reinterpret_cast<__m256d>(m)) != 0; }

inline __attribute__((always_inline)) void SinCos4(const V& angle, V* sin_out, V* cos_out) {
  using namespace fdlibm::detail;
  const M ix = HighWords(angle);
  const M reduce = ix > 0x3fe921fb;
  V x = angle, t = Splat(0.0);
  M quadrant = M{0, 0, 0, 0};
  bool special = false;
  if (Any(reduce)) {
    // rem_pio2's one-pass Cody-Waite reduction, for |x| <~ 2^19 pi/2. (Its
    // |x| < 3pi/4 case is the same arithmetic with n = 1.)
    const V ax = Sel(angle < 0.0, -angle, angle);
    const I4 n32 = __builtin_convertvector(ax * kInvHalfPi + 0.5, I4);
    const V fn = __builtin_convertvector(n32, V);
    const V r = ax - fn * kHalfPi1;
    const V w = fn * kHalfPi1Tail;
    const V y0 = r - w;
    const V y1 = (r - y0) - w;
    const M negative = angle < 0.0;
    x = Sel(reduce, Sel(negative, -y0, y0), x);
    t = Sel(reduce, Sel(negative, -y1, y1), t);
    const I4 n_signed = Sel4(__builtin_convertvector(negative, I4), -n32, n32);
    quadrant = SelM(reduce, __builtin_convertvector(n_signed & 3, M), quadrant);
    // What one pass cannot do exactly: fdlibm's other paths, per lane.
    I4 index = n32 - 1;
    index = index < 0 ? 0 : index;
    index = index > 31 ? 31 : index;
    const I4 cancel_high = reinterpret_cast<I4>(
        _mm_i32gather_epi32(kHalfPiMultipleHigh, reinterpret_cast<__m128i>(index), 4));
    const M other_path = reduce & ((ix > 0x413921fb) | (ix == 0x3ff921fb) |
                                   __builtin_convertvector((n32 >= 32) | (cancel_high == __builtin_convertvector(ix, I4)), M));
    if (Any(other_path)) {
      for (int l = 0; l < kLanes; ++l) {
        if (!other_path[l]) continue;
        if (ix[l] >= 0x7ff00000) {  // inf/NaN: fixed up below
          special = true;
          x[l] = 0.0, t[l] = 0.0;
          continue;
        }
        double y[2];
        quadrant[l] = rem_pio2(angle[l], y) & 3;
        x[l] = y[0], t[l] = y[1];
      }
    }
  }
  const M ahi = HighWords(x);
  const M tiny = ahi < 0x3e400000;
  const V z = x * x;
  // kernel_sin
  const V v = z * x;
  const V rs = kS2 + z * (kS3 + z * (kS4 + z * (kS5 + z * kS6)));
  const V sin_plain = x + v * (kS1 + z * rs);
  const V sin_tail = x - ((z * (0.5 * t - v * rs) - t) - v * kS1);
  const V ks = Sel(tiny, x, Sel(reduce, sin_tail, sin_plain));
  // kernel_cos (its tail is 0.0 when nothing was reduced, as in fdlibm::sincos)
  const V rc = z * (kC1 + z * (kC2 + z * (kC3 + z * (kC4 + z * (kC5 + z * kC6)))));
  const V cos_small = 1.0 - (0.5 * z - (z * rc - x * t));
  const M qx_bits = (ahi - 0x00200000) << 32;
  const V q = Sel(ahi > 0x3fe90000, Splat(0.28125), reinterpret_cast<const V&>(qx_bits));
  const V hz = 0.5 * z - q;
  const V a = 1.0 - q;
  const V cos_big = a - (hz - (z * rc - x * t));
  const V kc = Sel(tiny, Splat(1.0), Sel(ahi < 0x3fd33333, cos_small, cos_big));
  // quadrant n: sin = ks, kc, -ks, -kc and cos = kc, -ks, -kc, ks
  const M odd = (quadrant & 1) != 0;
  const V s = Sel(odd, kc, ks), c = Sel(odd, ks, kc);
  *sin_out = Sel((quadrant & 2) != 0, -s, s);
  *cos_out = Sel(((quadrant + 1) & 2) != 0, -c, c);
  if (special) {
    for (int l = 0; l < kLanes; ++l) {
      if (ix[l] < 0x7ff00000) continue;
      double ss, cc;
      fdlibm::sincos(angle[l], &ss, &cc);
      (*sin_out)[l] = ss, (*cos_out)[l] = cc;
    }
  }
}

}  // namespace

// A friend of World: reads the island and the solver phases.
struct Lockstep {
  // One joint of the runner island in each lane, for one step: what the
  // joint phases read, gathered once (the velocity iterations do not turn the
  // bodies; limit states and masses stay), and the forces they accumulate.
  // A body of the island in each lane: what the joint passes read and
  // write, kept as whole vectors between them (the bodies' own fields are
  // brought up to date around each scalar contact pass: SyncOut/SyncIn).
  struct BodyLanes {
    V vx, vy, w, cx, cy, a;
  };

  struct JointLanes {
    int i1, i2;  // the bodies' indices (the same in every lane: Solve groups only such worlds)
    Body* b1[kLanes];
    Body* b2[kLanes];
    RevoluteJoint* joint[kLanes];
    V r1x, r1y, r2x, r2y;
    V m11, m12, m21, m22;  // pivot_mass col1.x, col2.x, col1.y, col2.y
    V motor_mass, im1, ii1, im2, ii2, motor_speed, max_torque;
    M motor_on, limit_on, at_equal, at_lower, at_upper;
    V pivot_fx, pivot_fy, motor_force, limit_force;
    V anchor1x, anchor1y, anchor2x, anchor2y, reference_angle, lower, upper, limit_impulse;
  };

  // World::Fresh for every dynamic body of each lane's island, four bodies a
  // call: the rotations the joint set-up and the fixtures' sync read. (Those
  // already fresh keep theirs: the same bits.)
  static void FreshAll(World* const* w, int n) {
    for (int l = 0; l < n; ++l) {
      World& world = *w[l];
      Body* batch[kLanes];
      int k = 0;
      for (int i = 0; i < world.island_body_count_; ++i) {
        Body& b = world.bodies[world.island_bodies_[i]];
        uint64_t a, r;
        std::memcpy(&a, &b.a, sizeof a);
        std::memcpy(&r, &b.r_angle, sizeof r);
        if (b.type != kStaticBody && a != r) batch[k++] = &b;  // not fresh yet
        if (k == kLanes || (k > 0 && i == world.island_body_count_ - 1)) {
          V angle;
          for (int q = 0; q < kLanes; ++q) angle[q] = batch[q < k ? q : 0]->a;
          V s, c;
          SinCos4(angle, &s, &c);
          for (int q = 0; q < k; ++q) {
            Mat22& R = batch[q]->xf.R;  // Mat22::Set
            R.col1.x = c[q], R.col2.x = -s[q], R.col1.y = s[q], R.col2.y = c[q];
            batch[q]->r_angle = angle[q];
          }
          k = 0;
        }
      }
    }
  }

  // World::InitJoint in each lane (the rotations fresh: FreshAll), then the
  // joint's lanes gathered for the iterations.
  static void InitJoints(JointLanes* jl, World* const* w, int i, int n) {
    bool motor_on[kLanes], limit_on[kLanes], eq[kLanes], lo[kLanes], up[kLanes];
    V R1c, R1s, R2c, R2s;  // xf.R col1.x (cos) and col1.y (sin)
    V v1x, v1y, w1, v2x, v2y, w2, fx, fy, motor_force, limit_force;
    for (int l = 0; l < kLanes; ++l) {
      World& world = *w[l];
      RevoluteJoint& j = world.joints[world.island_joints_[i]];
      jl->joint[l] = &j;
      Body& b1 = world.bodies[j.body_a];
      Body& b2 = world.bodies[j.body_b];
      jl->b1[l] = &b1;
      jl->b2[l] = &b2;
      jl->i1 = j.body_a, jl->i2 = j.body_b;
      if (l < n) j.BeginStep(world.bodies);  // InitJoint's branches, on this lane's joint
      R1c[l] = b1.xf.R.col1.x, R1s[l] = b1.xf.R.col1.y;
      R2c[l] = b2.xf.R.col1.x, R2s[l] = b2.xf.R.col1.y;
      jl->anchor1x[l] = j.local_anchor1.x, jl->anchor1y[l] = j.local_anchor1.y;
      jl->anchor2x[l] = j.local_anchor2.x, jl->anchor2y[l] = j.local_anchor2.y;
      jl->im1[l] = b1.inv_mass, jl->ii1[l] = b1.inv_I, jl->im2[l] = b2.inv_mass, jl->ii2[l] = b2.inv_I;
      jl->motor_speed[l] = j.motor_speed, jl->max_torque[l] = j.max_motor_torque;
      jl->reference_angle[l] = j.reference_angle, jl->lower[l] = j.lower, jl->upper[l] = j.upper;
      motor_on[l] = j.enable_motor && j.limit_state != kEqualLimits;
      limit_on[l] = j.enable_limit && j.limit_state != kInactiveLimit;
      eq[l] = j.limit_state == kEqualLimits;
      lo[l] = j.limit_state == kAtLowerLimit;
      up[l] = j.limit_state == kAtUpperLimit;
      fx[l] = j.pivot_force.x, fy[l] = j.pivot_force.y;
      motor_force[l] = j.motor_force, limit_force[l] = j.limit_force;
      v1x[l] = b1.v.x, v1y[l] = b1.v.y, w1[l] = b1.w;
      v2x[l] = b2.v.x, v2y[l] = b2.v.y, w2[l] = b2.w;
    }
    jl->motor_on = Mask(motor_on), jl->limit_on = Mask(limit_on);
    jl->at_equal = Mask(eq), jl->at_lower = Mask(lo), jl->at_upper = Mask(up);
    jl->limit_impulse = Splat(0.0);
    // Arm(R, anchor), R = (col1 (c, s), col2 (-s, c)) as Mat22::Set wrote it
    const V r1x = R1c * jl->anchor1x + (-R1s) * jl->anchor1y, r1y = R1s * jl->anchor1x + R1c * jl->anchor1y;
    const V r2x = R2c * jl->anchor2x + (-R2s) * jl->anchor2y, r2y = R2s * jl->anchor2x + R2c * jl->anchor2y;
    jl->r1x = r1x, jl->r1y = r1y, jl->r2x = r2x, jl->r2y = r2y;
    const V im1 = jl->im1, im2 = jl->im2, ii1 = jl->ii1, ii2 = jl->ii2;
    // PointK, then Inverse
    V k11, k12, k21, k22;
    PointK(im1, im2, ii1, ii2, r1x, r1y, r2x, r2y, &k11, &k12, &k21, &k22);
    V det = k11 * k22 - k12 * k21;
    det = Sel(det != 0.0, 1.0 / det, det);
    jl->m11 = det * k22;
    jl->m12 = -det * k12;
    jl->m21 = -det * k21;
    jl->m22 = det * k11;
    jl->motor_mass = 1.0 / (ii1 + ii2);
    // warm start (every lane warm-starts: Solve groups only such worlds)
    V dt;
    for (int l = 0; l < kLanes; ++l) dt[l] = w[l]->step_.dt;
    v1x -= dt * im1 * fx;
    v1y -= dt * im1 * fy;
    w1 -= dt * ii1 * ((r1x * fy - r1y * fx) + motor_force + limit_force);
    v2x += dt * im2 * fx;
    v2y += dt * im2 * fy;
    w2 += dt * ii2 * ((r2x * fy - r2y * fx) + motor_force + limit_force);
    jl->pivot_fx = fx, jl->pivot_fy = fy, jl->motor_force = motor_force, jl->limit_force = limit_force;
    for (int l = 0; l < n; ++l) {
      Body& b1 = *jl->b1[l];
      Body& b2 = *jl->b2[l];
      b1.v.x = v1x[l], b1.v.y = v1y[l], b1.w = w1[l];
      b2.v.x = v2x[l], b2.v.y = v2y[l], b2.w = w2[l];
    }
  }

  // World::SolveJointVelocity in each lane.
  static void JointVelocity(JointLanes& j, BodyLanes* bodies, V dt, V inv_dt) {
    BodyLanes& b1 = bodies[j.i1];
    BodyLanes& b2 = bodies[j.i2];
    V v1x = b1.vx, v1y = b1.vy, w1 = b1.w, v2x = b2.vx, v2y = b2.vy, w2 = b2.w;
    const V r1x = j.r1x, r1y = j.r1y, r2x = j.r2x, r2y = j.r2y;
    // point constraint
    const V cdx = v2x + (-w2 * r2y) - v1x - (-w1 * r1y);
    const V cdy = v2y + (w2 * r2x) - v1y - (w1 * r1x);
    const V fx = -inv_dt * (j.m11 * cdx + j.m12 * cdy);
    const V fy = -inv_dt * (j.m21 * cdx + j.m22 * cdy);
    j.pivot_fx += fx;
    j.pivot_fy += fy;
    const V px = dt * fx, py = dt * fy;
    v1x -= j.im1 * px;
    v1y -= j.im1 * py;
    w1 -= j.ii1 * (r1x * py - r1y * px);
    v2x += j.im2 * px;
    v2y += j.im2 * py;
    w2 += j.ii2 * (r2x * py - r2y * px);
    // motor
    {
      const V cdot = w2 - w1 - j.motor_speed;
      V force = -inv_dt * j.motor_mass * cdot;
      const V old = j.motor_force;
      const V motor_force = Clamp(j.motor_force + force, -j.max_torque, j.max_torque);
      force = motor_force - old;
      const V nw1 = w1 - j.ii1 * dt * force;
      const V nw2 = w2 + j.ii2 * dt * force;
      j.motor_force = Sel(j.motor_on, motor_force, j.motor_force);
      w1 = Sel(j.motor_on, nw1, w1);
      w2 = Sel(j.motor_on, nw2, w2);
    }
    // limit
    {
      const V cdot = w2 - w1;
      const V force = -inv_dt * j.motor_mass * cdot;
      const V old = j.limit_force;
      const V at_lower = Max(j.limit_force + force, Splat(0.0));
      const V at_upper = Min(j.limit_force + force, Splat(0.0));
      const V limit_force = Sel(j.at_equal, j.limit_force + force, Sel(j.at_lower, at_lower, at_upper));
      const V applied = Sel(j.at_equal, force, limit_force - old);
      const V nw1 = w1 - j.ii1 * dt * applied;
      const V nw2 = w2 + j.ii2 * dt * applied;
      j.limit_force = Sel(j.limit_on, limit_force, j.limit_force);
      w1 = Sel(j.limit_on, nw1, w1);
      w2 = Sel(j.limit_on, nw2, w2);
    }
    b1.vx = v1x, b1.vy = v1y, b1.w = w1;
    b2.vx = v2x, b2.vy = v2y, b2.w = w2;
  }

  // World::SolveJointPosition in each lane; changes only the lanes in
  // `act` and returns its ok per lane.
  static M JointPosition(JointLanes& j, BodyLanes* bodies, M act) {
    BodyLanes& b1 = bodies[j.i1];
    BodyLanes& b2 = bodies[j.i2];
    V c1x = b1.cx, c1y = b1.cy, a1 = b1.a, c2x = b2.cx, c2y = b2.cy, a2 = b2.a;
    V s1, co1, s2, co2;
    SinCos4(a1, &s1, &co1);
    SinCos4(a2, &s2, &co2);
    // Arm(R, anchor) with R = (col1 (c, s), col2 (-s, c)); anchor - 0.0 is the anchor
    const V r1x = co1 * j.anchor1x + (-s1) * j.anchor1y, r1y = s1 * j.anchor1x + co1 * j.anchor1y;
    const V r2x = co2 * j.anchor2x + (-s2) * j.anchor2y, r2y = s2 * j.anchor2x + co2 * j.anchor2y;
    const V p1x = c1x + r1x, p1y = c1y + r1y;
    const V p2x = c2x + r2x, p2y = c2y + r2y;
    const V cx = p2x - p1x, cy = p2y - p1y;
    const V sq = cx * cx + cy * cy;
    V position_error;
    for (int l = 0; l < kLanes; ++l) position_error[l] = std::sqrt(sq[l]);
    const V im1 = j.im1, im2 = j.im2, ii1 = j.ii1, ii2 = j.ii2;
    V k11, k12, k21, k22;
    PointK(im1, im2, ii1, ii2, r1x, r1y, r2x, r2y, &k11, &k12, &k21, &k22);
    // Solve22(K, -cx, -cy)
    const V bx = -cx, by = -cy;
    V det = k11 * k22 - k12 * k21;
    det = Sel(det != 0.0, 1.0 / det, det);
    const V impx = det * (k22 * bx - k12 * by), impy = det * (k11 * by - k21 * bx);
    c1x -= im1 * impx;
    c1y -= im1 * impy;
    a1 -= ii1 * (r1x * impy - r1y * impx);
    c2x += im2 * impx;
    c2y += im2 * impy;
    a2 += ii2 * (r2x * impy - r2y * impx);

    // limit
    const V angle = a2 - a1 - j.reference_angle;
    const V mmm = -j.motor_mass;
    const V c_equal = Clamp(angle, Splat(-kMaxAngularCorrection), Splat(kMaxAngularCorrection));
    const V c_lower = angle - j.lower;
    const V c_upper = angle - j.upper;
    const V err_equal = Abs(c_equal);
    const V err_lower = Max(Splat(0.0), -c_lower);
    const V err_upper = Max(Splat(0.0), c_upper);
    const V imp_equal = mmm * c_equal;
    const V imp_lower = mmm * Clamp(c_lower + kAngularSlop, Splat(-kMaxAngularCorrection), Splat(0.0));
    const V imp_upper = mmm * Clamp(c_upper - kAngularSlop, Splat(0.0), Splat(kMaxAngularCorrection));
    const V old = j.limit_impulse;
    const V acc_lower = Max(j.limit_impulse + imp_lower, Splat(0.0));
    const V acc_upper = Min(j.limit_impulse + imp_upper, Splat(0.0));
    const V accumulated = Sel(j.at_lower, acc_lower, Sel(j.at_upper, acc_upper, j.limit_impulse));
    const V limit_impulse = Sel(j.at_equal, imp_equal, accumulated - old);
    const V angular_error = Sel(j.limit_on,
                                Sel(j.at_equal, err_equal, Sel(j.at_lower, err_lower, err_upper)), Splat(0.0));
    const V na1 = a1 - ii1 * limit_impulse;
    const V na2 = a2 + ii2 * limit_impulse;
    a1 = Sel(j.limit_on, na1, a1);
    a2 = Sel(j.limit_on, na2, a2);
    j.limit_impulse = Sel(act & j.limit_on & ~j.at_equal, accumulated, j.limit_impulse);

    // lanes that are done keep their values
    b1.cx = Sel(act, c1x, b1.cx), b1.cy = Sel(act, c1y, b1.cy), b1.a = Sel(act, a1, b1.a);
    b2.cx = Sel(act, c2x, b2.cx), b2.cy = Sel(act, c2y, b2.cy), b2.a = Sel(act, a2, b2.a);
    return (position_error <= kLinearSlop) & (angular_error <= kAngularSlop);
  }

  static void Scatter(const JointLanes& jl, int n) {
    for (int l = 0; l < n; ++l) {
      RevoluteJoint& j = *jl.joint[l];
      j.r1 = {jl.r1x[l], jl.r1y[l]};
      j.r2 = {jl.r2x[l], jl.r2y[l]};
      j.pivot_mass.col1 = {jl.m11[l], jl.m21[l]};
      j.pivot_mass.col2 = {jl.m12[l], jl.m22[l]};
      j.motor_mass = jl.motor_mass[l];
      j.pivot_force = {jl.pivot_fx[l], jl.pivot_fy[l]};
      j.motor_force = jl.motor_force[l];
      j.limit_force = jl.limit_force[l];
      j.limit_position_impulse = jl.limit_impulse[l];
    }
  }

  // World::SolveIsland for the selected island of n worlds with the same
  // joint count and iteration counts; lanes n.. repeat lane 0 and are never written.
  static void SolveIslands(World* const* worlds, int n) {
    World* w[kLanes];
    for (int l = 0; l < kLanes; ++l) w[l] = worlds[l < n ? l : 0];
    const TimeStep& step = w[0]->step_;
    const int joint_count = w[0]->island_joint_count_;
    V dt, inv_dt;
    for (int l = 0; l < kLanes; ++l) dt[l] = w[l]->step_.dt, inv_dt[l] = w[l]->step_.inv_dt;

    for (int l = 0; l < n; ++l) {
      World& world = *w[l];
      world.IntegrateVelocities(world.step_);
      world.InitContactSolver(world.step_);
      world.WarmStartContacts(world.step_);
    }
    FreshAll(w, n);
    JointLanes joints[kMaxJoints];
    for (int i = 0; i < joint_count; ++i) InitJoints(&joints[i], w, i, n);

    // the joints' bodies, and per lane those of them its contacts touch
    bool in_joint[kMaxBodies] = {};
    int body_list[kMaxBodies], body_count = 0;
    for (int i = 0; i < joint_count; ++i) {
      for (int k : {joints[i].i1, joints[i].i2}) {
        if (!in_joint[k]) in_joint[k] = true, body_list[body_count++] = k;
      }
    }
    int touched[kLanes][2 * kMaxContacts], touched_count[kLanes] = {};
    for (int l = 0; l < n; ++l) {
      const World& world = *w[l];
      for (int c = 0; c < world.island_contact_count_; ++c) {
        for (int k : {world.constraints_[c].body_a, world.constraints_[c].body_b}) {
          if (in_joint[k]) touched[l][touched_count[l]++] = k;
        }
      }
    }
    BodyLanes lanes[kMaxBodies];
    for (int q = 0; q < body_count; ++q) {
      const int k = body_list[q];
      for (int l = 0; l < kLanes; ++l) {
        const Body& b = w[l]->bodies[k];
        lanes[k].vx[l] = b.v.x, lanes[k].vy[l] = b.v.y, lanes[k].w[l] = b.w;
      }
    }
    for (int it = 0; it < step.velocity_iterations; ++it) {
      for (int i = 0; i < joint_count; ++i) JointVelocity(joints[i], lanes, dt, inv_dt);
      for (int l = 0; l < n; ++l) {
        World& world = *w[l];
        for (int q = 0; q < touched_count[l]; ++q) {
          const int k = touched[l][q];
          Body& b = world.bodies[k];
          b.v.x = lanes[k].vx[l], b.v.y = lanes[k].vy[l], b.w = lanes[k].w[l];
        }
        world.SolveContactVelocities();
        for (int q = 0; q < touched_count[l]; ++q) {
          const int k = touched[l][q];
          const Body& b = world.bodies[k];
          lanes[k].vx[l] = b.v.x, lanes[k].vy[l] = b.v.y, lanes[k].w[l] = b.w;
        }
      }
    }
    for (int q = 0; q < body_count; ++q) {
      const int k = body_list[q];
      for (int l = 0; l < n; ++l) {
        Body& b = w[l]->bodies[k];
        b.v.x = lanes[k].vx[l], b.v.y = lanes[k].vy[l], b.w = lanes[k].w[l];
      }
    }
    for (int l = 0; l < n; ++l) {
      w[l]->FinalizeContacts();
      w[l]->IntegratePositions(w[l]->step_);
    }
    for (int q = 0; q < body_count; ++q) {
      const int k = body_list[q];
      for (int l = 0; l < kLanes; ++l) {
        const Body& b = w[l]->bodies[k];
        lanes[k].cx[l] = b.c.x, lanes[k].cy[l] = b.c.y, lanes[k].a[l] = b.a;
      }
    }
    bool active[kLanes] = {false, false, false, false};
    int n_active = n;
    for (int l = 0; l < n; ++l) active[l] = true;
    for (int it = 0; it < step.position_iterations && n_active > 0; ++it) {
      bool contacts_ok[kLanes] = {true, true, true, true};
      for (int l = 0; l < n; ++l) {
        if (!active[l]) continue;
        World& world = *w[l];
        for (int q = 0; q < touched_count[l]; ++q) {
          const int k = touched[l][q];
          Body& b = world.bodies[k];
          b.c.x = lanes[k].cx[l], b.c.y = lanes[k].cy[l], b.a = lanes[k].a[l];
          b.xf.position = b.c;  // SynchronizeTransform (R follows lazily)
        }
        contacts_ok[l] = world.SolveContactPositions(kContactBaumgarte);
        for (int q = 0; q < touched_count[l]; ++q) {
          const int k = touched[l][q];
          const Body& b = world.bodies[k];
          lanes[k].cx[l] = b.c.x, lanes[k].cy[l] = b.c.y, lanes[k].a[l] = b.a;
        }
      }
      const M act = Mask(active);
      M joints_ok = M{-1, -1, -1, -1};
      for (int i = 0; i < joint_count; ++i) joints_ok &= JointPosition(joints[i], lanes, act);
      for (int l = 0; l < n; ++l) {
        if (active[l] && contacts_ok[l] && joints_ok[l]) active[l] = false, --n_active;
      }
    }
    for (int q = 0; q < body_count; ++q) {
      const int k = body_list[q];
      for (int l = 0; l < n; ++l) {
        Body& b = w[l]->bodies[k];
        b.c.x = lanes[k].cx[l], b.c.y = lanes[k].cy[l], b.a = lanes[k].a[l];
        b.xf.position = b.c;
      }
    }
    for (int i = 0; i < joint_count; ++i) Scatter(joints[i], n);
    for (int l = 0; l < n; ++l) w[l]->SleepIsland(w[l]->step_);
    FreshAll(w, n);  // for EndStep's fixture sync (same bits as its own Fresh)
  }

  // Whether the selected islands' joints join the same bodies, in order.
  static bool SameJointBodies(const World& a, const World& b) {
    if (a.island_joint_count_ != b.island_joint_count_) return false;
    for (int i = 0; i < a.island_joint_count_; ++i) {
      const RevoluteJoint& ja = a.joints[a.island_joints_[i]];
      const RevoluteJoint& jb = b.joints[b.island_joints_[i]];
      if (ja.body_a != jb.body_a || ja.body_b != jb.body_b) return false;
    }
    return true;
  }

  static void Solve(World* const* worlds, int n) {
    if (n == 1) {  // alone: World::Step's own order (debug_world shows its last island)
      for (int k = 0; k < worlds[0]->island_count_; ++k) worlds[0]->SolveIslandAt(k);
      return;
    }
    // The runner island of each world: the one with the most joints.
    int runner_island[kLanes];
    for (int l = 0; l < n; ++l) {
      const World& world = *worlds[l];
      int best = -1;
      for (int k = 0; k < world.island_count_; ++k) {
        if (best < 0 || world.islands_[k].joint_count > world.islands_[best].joint_count) best = k;
      }
      runner_island[l] = best;
    }
    // Lanes solved together share the joint count and the iteration counts.
    World* group[kLanes];
    int m = 0;
    const World* first = nullptr;
    for (int l = 0; l < n; ++l) {
      World& world = *worlds[l];
      for (int k = 0; k < world.island_count_; ++k) {
        if (k != runner_island[l]) world.SolveIslandAt(k);
      }
      if (runner_island[l] < 0) continue;
      world.SelectIsland(runner_island[l]);
      const bool fits = world.island_joint_count_ > 0 && world.step_.warm_starting &&
                        (first == nullptr || SameJointBodies(world, *first)) &&
                        (first == nullptr || (world.island_joint_count_ == first->island_joint_count_ &&
                                              world.step_.warm_starting &&
                                              world.step_.velocity_iterations == first->step_.velocity_iterations &&
                                              world.step_.position_iterations == first->step_.position_iterations));
      if (!fits) {
        world.SolveIsland(world.step_);
        continue;
      }
      if (first == nullptr) first = &world;
      group[m++] = &world;
    }
    if (m == 1) {
      group[0]->SolveIsland(group[0]->step_);
    } else if (m > 1) {
      SolveIslands(group, m);
    }
  }
};

void SolveLockstep(World* const* worlds, int n) { Lockstep::Solve(worlds, n); }

}  // namespace physics
}  // namespace qwop

#pragma GCC pop_options

namespace qwop {
namespace physics {

bool LockstepAvailable() {
  static const bool available = __builtin_cpu_supports("avx2");
  return available;
}

}  // namespace physics
}  // namespace qwop
