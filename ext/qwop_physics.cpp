// The game's Box2D 2.1a-style world. See qwop_physics.h for what this is and
// where the algorithm comes from; section numbers [P.n] refer to
// ../shared/oracle/PROVENANCE.md. Every expression keeps the source's
// evaluation order: do not "simplify" arithmetic here.
#include "qwop_physics.h"

#include <cmath>
#include <cstring>

#include "fdlibm_trig.h"

namespace qwop {
namespace physics {

using namespace settings;

namespace {

constexpr double kMaxValue = 1.7976931348623157e308;  // JS Number.MAX_VALUE
constexpr double kMinValue = 5e-324;                  // JS Number.MIN_VALUE

inline double Clamp(double a, double lo, double hi) { return a < lo ? lo : (a > hi ? hi : a); }
inline double Min(double a, double b) { return a < b ? a : b; }
inline double Max(double a, double b) { return a > b ? a : b; }
inline double Abs(double a) { return a > 0.0 ? a : -a; }

// Box vertices and normals as b2PolygonShape.setAsBox builds them [P.1].
struct Polygon {
  Vec2 v[4];
  Vec2 n[4];
  double radius;
};

inline Polygon PolygonOf(const Body& body) {
  Polygon p;
  for (int i = 0; i < 4; ++i) p.v[i] = body.vertices[i], p.n[i] = body.normals[i];
  p.radius = kPolygonRadius;
  return p;
}

inline Polygon MakePolygon(const Box& b) {
  Polygon p;
  p.v[0] = {-b.hx, -b.hy};
  p.v[1] = {b.hx, -b.hy};
  p.v[2] = {b.hx, b.hy};
  p.v[3] = {-b.hx, b.hy};
  p.n[0] = {0.0, -1.0};
  p.n[1] = {1.0, 0.0};
  p.n[2] = {0.0, 1.0};
  p.n[3] = {-1.0, 0.0};
  p.radius = kPolygonRadius;
  return p;
}

// Pattern A: pos + (R * v), the rotated vector summed first.
inline Vec2 MulX(const Transform& xf, const Vec2& v) {
  return {xf.position.x + (xf.R.col1.x * v.x + xf.R.col2.x * v.y),
          xf.position.y + (xf.R.col1.y * v.x + xf.R.col2.y * v.y)};
}

// b2PolygonShape.computeAABB [P.1].
inline AABB ComputeAABB(const Polygon& p, const Transform& xf) {
  Vec2 v = MulX(xf, p.v[0]);
  double lx = v.x, ly = v.y, ux = v.x, uy = v.y;
  for (int i = 1; i < 4; ++i) {
    v = MulX(xf, p.v[i]);
    lx = lx < v.x ? lx : v.x;
    ly = ly < v.y ? ly : v.y;
    ux = ux > v.x ? ux : v.x;
    uy = uy > v.y ? uy : v.y;
  }
  return {{lx - p.radius, ly - p.radius}, {ux + p.radius, uy + p.radius}};
}

inline bool Contains(const AABB& a, const AABB& b) {
  return a.lower.x <= b.lower.x && a.lower.y <= b.lower.y && b.upper.x <= a.upper.x &&
         b.upper.y <= a.upper.y;
}

inline bool TestOverlap(const AABB& a, const AABB& b) {
  const double d1x = b.lower.x - a.upper.x, d1y = b.lower.y - a.upper.y;
  const double d2x = a.lower.x - b.upper.x, d2y = a.lower.y - b.upper.y;
  if (d1x > 0.0 || d1y > 0.0) return false;
  if (d2x > 0.0 || d2y > 0.0) return false;
  return true;
}

// JavaScript's Math.min / Math.max (no NaN here): of equal zeros, min takes
// -0 and max takes +0.
inline double JsMin(double a, double b) {
  if (a < b) return a;
  if (b < a) return b;
  return std::signbit(a) ? a : b;
}
inline double JsMax(double a, double b) {
  if (a > b) return a;
  if (b > a) return b;
  return std::signbit(a) ? b : a;
}

// B2AABB.combine.
inline AABB Combine(const AABB& a, const AABB& b) {
  return {{JsMin(a.lower.x, b.lower.x), JsMin(a.lower.y, b.lower.y)},
          {JsMax(a.upper.x, b.upper.x), JsMax(a.upper.y, b.upper.y)}};
}

inline bool SameBits(double a, double b) {
  uint64_t x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  return x == y;
}

// ---------------------------------------------------------------- narrow phase [P.4]

struct ClipVertex {
  Vec2 v;
  uint32_t key;  // referenceEdge | incidentEdge << 8 | incidentVertex << 16 | flip << 24
};

inline uint32_t MakeKey(int reference_edge, int incident_edge, int incident_vertex) {
  return static_cast<uint32_t>(reference_edge) | static_cast<uint32_t>(incident_edge) << 8 |
         static_cast<uint32_t>(incident_vertex) << 16;
}

double EdgeSeparation(const Polygon& p1, const Transform& xf1, int edge1, const Polygon& p2,
                      const Transform& xf2) {
  const Vec2& n = p1.n[edge1];
  const double nwx = xf1.R.col1.x * n.x + xf1.R.col2.x * n.y;
  const double nwy = xf1.R.col1.y * n.x + xf1.R.col2.y * n.y;
  const double n1x = xf2.R.col1.x * nwx + xf2.R.col1.y * nwy;
  const double n1y = xf2.R.col2.x * nwx + xf2.R.col2.y * nwy;
  int index = 0;
  double min_dot = kMaxValue;
  for (int i = 0; i < 4; ++i) {
    const double dot = p2.v[i].x * n1x + p2.v[i].y * n1y;
    if (dot < min_dot) {
      min_dot = dot;
      index = i;
    }
  }
  const Vec2 v1 = MulX(xf1, p1.v[edge1]);
  Vec2 v2 = MulX(xf2, p2.v[index]);
  v2.x -= v1.x;
  v2.y -= v1.y;
  return v2.x * nwx + v2.y * nwy;
}

double FindMaxSeparation(int* edge_index, const Polygon& p1, const Transform& xf1, const Polygon& p2,
                         const Transform& xf2) {
  // Centroids are (0, 0); the expressions are kept as written.
  double dx = xf2.position.x + (xf2.R.col1.x * 0.0 + xf2.R.col2.x * 0.0);
  double dy = xf2.position.y + (xf2.R.col1.y * 0.0 + xf2.R.col2.y * 0.0);
  dx -= xf1.position.x + (xf1.R.col1.x * 0.0 + xf1.R.col2.x * 0.0);
  dy -= xf1.position.y + (xf1.R.col1.y * 0.0 + xf1.R.col2.y * 0.0);
  const double lx = dx * xf1.R.col1.x + dy * xf1.R.col1.y;
  const double ly = dx * xf1.R.col2.x + dy * xf1.R.col2.y;
  int edge = 0;
  double max_dot = -kMaxValue;
  for (int i = 0; i < 4; ++i) {
    const double dot = p1.n[i].x * lx + p1.n[i].y * ly;
    if (dot > max_dot) {
      max_dot = dot;
      edge = i;
    }
  }
  double s = EdgeSeparation(p1, xf1, edge, p2, xf2);
  const int prev_edge = edge - 1 >= 0 ? edge - 1 : 3;
  const double s_prev = EdgeSeparation(p1, xf1, prev_edge, p2, xf2);
  const int next_edge = edge + 1 < 4 ? edge + 1 : 0;
  const double s_next = EdgeSeparation(p1, xf1, next_edge, p2, xf2);
  int best_edge, increment;
  double best;
  if (s_prev > s && s_prev > s_next) {
    increment = -1;
    best_edge = prev_edge;
    best = s_prev;
  } else if (s_next > s) {
    increment = 1;
    best_edge = next_edge;
    best = s_next;
  } else {
    *edge_index = edge;
    return s;
  }
  for (;;) {
    if (increment == -1) edge = best_edge - 1 >= 0 ? best_edge - 1 : 3;
    else edge = best_edge + 1 < 4 ? best_edge + 1 : 0;
    s = EdgeSeparation(p1, xf1, edge, p2, xf2);
    if (s > best) {
      best_edge = edge;
      best = s;
    } else {
      break;
    }
  }
  *edge_index = best_edge;
  return best;
}

void FindIncidentEdge(ClipVertex c[2], const Polygon& p1, const Transform& xf1, int edge1,
                      const Polygon& p2, const Transform& xf2) {
  const Vec2& n = p1.n[edge1];
  double nx = xf1.R.col1.x * n.x + xf1.R.col2.x * n.y;
  double ny = xf1.R.col1.y * n.x + xf1.R.col2.y * n.y;
  const double tx = xf2.R.col1.x * nx + xf2.R.col1.y * ny;
  ny = xf2.R.col2.x * nx + xf2.R.col2.y * ny;
  nx = tx;
  int index = 0;
  double min_dot = kMaxValue;
  for (int i = 0; i < 4; ++i) {
    const double dot = nx * p2.n[i].x + ny * p2.n[i].y;
    if (dot < min_dot) {
      min_dot = dot;
      index = i;
    }
  }
  const int i1 = index;
  const int i2 = i1 + 1 < 4 ? i1 + 1 : 0;
  c[0].v = MulX(xf2, p2.v[i1]);
  c[0].key = MakeKey(edge1, i1, 0);
  c[1].v = MulX(xf2, p2.v[i2]);
  c[1].key = MakeKey(edge1, i2, 1);
}

int ClipSegmentToLine(ClipVertex out[2], const ClipVertex in[2], Vec2 normal, double offset) {
  int num = 0;
  const Vec2 v0 = in[0].v, v1 = in[1].v;
  const double d0 = normal.x * v0.x + normal.y * v0.y - offset;
  const double d1 = normal.x * v1.x + normal.y * v1.y - offset;
  if (d0 <= 0.0) out[num++] = in[0];
  if (d1 <= 0.0) out[num++] = in[1];
  if (d0 * d1 < 0.0) {
    const double interp = d0 / (d0 - d1);
    out[num].v.x = v0.x + interp * (v1.x - v0.x);
    out[num].v.y = v0.y + interp * (v1.y - v0.y);
    // The game copies this id by reference; PROVENANCE 4 shows that never
    // changes a result, so it is copied by value here.
    out[num].key = d0 > 0.0 ? in[0].key : in[1].key;
    ++num;
  }
  return num;
}

// b2Collision.collidePolygons [P.4].
void CollidePolygons(Manifold* m, const Polygon& pa, const Transform& xfa, const Polygon& pb,
                     const Transform& xfb) {
  m->point_count = 0;
  const double total_radius = pa.radius + pb.radius;
  int edge_a = 0;
  const double sep_a = FindMaxSeparation(&edge_a, pa, xfa, pb, xfb);
  if (sep_a > total_radius) return;
  int edge_b = 0;
  const double sep_b = FindMaxSeparation(&edge_b, pb, xfb, pa, xfa);
  if (sep_b > total_radius) return;

  const Polygon *p1, *p2;
  const Transform *xf1, *xf2;
  int edge1;
  uint32_t flip;
  if (sep_b > 0.98 * sep_a + 0.001) {
    p1 = &pb, p2 = &pa, xf1 = &xfb, xf2 = &xfa, edge1 = edge_b;
    m->type = kFaceB;
    flip = 1;
  } else {
    p1 = &pa, p2 = &pb, xf1 = &xfa, xf2 = &xfb, edge1 = edge_a;
    m->type = kFaceA;
    flip = 0;
  }
  ClipVertex incident[2];
  FindIncidentEdge(incident, *p1, *xf1, edge1, *p2, *xf2);

  const Vec2 lv11 = p1->v[edge1];
  const Vec2 lv12 = edge1 + 1 < 4 ? p1->v[edge1 + 1] : p1->v[0];
  Vec2 local_tangent{lv12.x - lv11.x, lv12.y - lv11.y};
  {  // B2Vec2.normalize
    const double len = std::sqrt(local_tangent.x * local_tangent.x + local_tangent.y * local_tangent.y);
    if (!(len < kMinValue)) {
      const double inv = 1.0 / len;
      local_tangent.x *= inv;
      local_tangent.y *= inv;
    }
  }
  const Vec2 local_normal{local_tangent.y, -local_tangent.x};
  const Vec2 plane_point{0.5 * (lv11.x + lv12.x), 0.5 * (lv11.y + lv12.y)};
  const Mat22& R = xf1->R;
  const Vec2 tangent{R.col1.x * local_tangent.x + R.col2.x * local_tangent.y,
                     R.col1.y * local_tangent.x + R.col2.y * local_tangent.y};
  const Vec2 tangent2{-tangent.x, -tangent.y};
  const Vec2 normal{tangent.y, -tangent.x};
  const Vec2 v11 = MulX(*xf1, lv11);
  const Vec2 v12 = MulX(*xf1, lv12);
  const double front = normal.x * v11.x + normal.y * v11.y;
  const double side1 = -tangent.x * v11.x - tangent.y * v11.y + total_radius;
  const double side2 = tangent.x * v12.x + tangent.y * v12.y + total_radius;

  ClipVertex clip1[2], clip2[2];
  if (ClipSegmentToLine(clip1, incident, tangent2, side1) < 2) return;
  if (ClipSegmentToLine(clip2, clip1, tangent, side2) < 2) return;

  m->local_plane_normal = local_normal;
  m->local_point = plane_point;
  int count = 0;
  for (int i = 0; i < 2; ++i) {
    const ClipVertex& cv = clip2[i];
    const double separation = normal.x * cv.v.x + normal.y * cv.v.y - front;
    if (separation <= total_radius) {
      ManifoldPoint& cp = m->points[count];
      const double tx = cv.v.x - xf2->position.x;
      const double ty = cv.v.y - xf2->position.y;
      cp.local_point.x = tx * xf2->R.col1.x + ty * xf2->R.col1.y;
      cp.local_point.y = tx * xf2->R.col2.x + ty * xf2->R.col2.y;
      cp.key = (cv.key & 0x00FFFFFFu) | flip << 24;
      ++count;
    }
  }
  m->point_count = count;
}

// B2WorldManifold.initialize, the one place with pattern B: (pos + a) + b.
void InitWorldManifold(WorldManifold* wm, const Manifold& m, const Transform& xfa, double ra,
                       const Transform& xfb, double rb) {
  if (m.point_count == 0 || (m.type != kFaceA && m.type != kFaceB)) return;
  // FACE_A: the reference face on A, the points on B; FACE_B swaps the two
  // (and their radii) and turns the normal to point from A to B.
  const bool face_a = m.type == kFaceA;
  const Transform& ref = face_a ? xfa : xfb;
  const Transform& inc = face_a ? xfb : xfa;
  const double r_ref = face_a ? ra : rb, r_inc = face_a ? rb : ra;
  const Mat22& R = ref.R;
  const Vec2& lpn = m.local_plane_normal;
  const double nx = R.col1.x * lpn.x + R.col2.x * lpn.y;
  const double ny = R.col1.y * lpn.x + R.col2.y * lpn.y;
  const double px = ref.position.x + R.col1.x * m.local_point.x + R.col2.x * m.local_point.y;
  const double py = ref.position.y + R.col1.y * m.local_point.x + R.col2.y * m.local_point.y;
  wm->normal = face_a ? Vec2{nx, ny} : Vec2{-nx, -ny};
  const Mat22& Ri = inc.R;
  for (int i = 0; i < m.point_count; ++i) {
    const Vec2& lp = m.points[i].local_point;
    const double cx = inc.position.x + Ri.col1.x * lp.x + Ri.col2.x * lp.y;
    const double cy = inc.position.y + Ri.col1.y * lp.x + Ri.col2.y * lp.y;
    wm->points[i].x = cx + 0.5 * (r_ref - (cx - px) * nx - (cy - py) * ny - r_inc) * nx;
    wm->points[i].y = cy + 0.5 * (r_ref - (cx - px) * nx - (cy - py) * ny - r_inc) * ny;
  }
}

// (rA x d)^2 and (rB x d)^2: the angular parts of an effective mass along d.
inline void SquaredArms(double rax, double ray, double rbx, double rby, double dx, double dy, double* a,
                        double* b) {
  const double ra = rax * dy - ray * dx, rb = rbx * dy - rby * dx;
  *a = ra * ra;
  *b = rb * rb;
}

// B2Mat22.getInverse.
inline Mat22 Inverse(const Mat22& K) {
  const double a = K.col1.x, b = K.col2.x, c = K.col1.y, d = K.col2.y;
  double det = a * d - b * c;
  if (det != 0.0) det = 1.0 / det;
  Mat22 out;
  out.col1.x = det * d;
  out.col2.x = -det * b;
  out.col1.y = -det * c;
  out.col2.y = det * a;
  return out;
}

// A joint anchor rotated to world: R * (localAnchor - localCenter), the centre 0.
inline Vec2 Arm(const Mat22& R, const Vec2& anchor) {
  const double ax = anchor.x - 0.0, ay = anchor.y - 0.0;
  return {R.col1.x * ax + R.col2.x * ay, R.col1.y * ax + R.col2.y * ay};
}

// The revolute joint's point-constraint matrix K = K1 + K2 + K3 (AS201: K.SetM(K1),
// K.AddM(K2), K.AddM(K3)), entry by entry in that order.
inline Mat22 PointK(double im1, double im2, double ii1, double ii2, double r1x, double r1y, double r2x,
                    double r2y) {
  Mat22 K;
  K.col1.x = im1 + im2;
  K.col2.x = 0.0;
  K.col1.y = 0.0;
  K.col2.y = im1 + im2;
  K.col1.x += ii1 * r1y * r1y;
  K.col2.x += -ii1 * r1x * r1y;
  K.col1.y += -ii1 * r1x * r1y;
  K.col2.y += ii1 * r1x * r1x;
  K.col1.x += ii2 * r2y * r2y;
  K.col2.x += -ii2 * r2x * r2y;
  K.col1.y += -ii2 * r2x * r2y;
  K.col2.y += ii2 * r2x * r2x;
  return K;
}

// B2Mat22.solve.
inline Vec2 Solve22(const Mat22& K, double bx, double by) {
  const double a11 = K.col1.x, a12 = K.col2.x, a21 = K.col1.y, a22 = K.col2.y;
  double det = a11 * a22 - a12 * a21;
  if (det != 0.0) det = 1.0 / det;
  return {det * (a22 * bx - a12 * by), det * (a11 * by - a21 * bx)};
}

// b2PolygonShape.computeMass for a box (the fan from the origin) [P.1].
void BoxMass(const Box& box, double* mass, double* inertia) {
  const Polygon p = MakePolygon(box);
  const double k_inv3 = 1.0 / 3.0;
  double area = 0.0, I = 0.0;
  const double p1x = 0.0, p1y = 0.0;
  for (int i = 0; i < 4; ++i) {
    const Vec2& p2 = p.v[i];
    const Vec2& p3 = i + 1 < 4 ? p.v[i + 1] : p.v[0];
    const double e1x = p2.x - p1x, e1y = p2.y - p1y;
    const double e2x = p3.x - p1x, e2y = p3.y - p1y;
    const double D = e1x * e2y - e1y * e2x;
    area += 0.5 * D;
    const double intx2 = k_inv3 * (0.25 * (e1x * e1x + e2x * e1x + e2x * e2x) + (p1x * e1x + p1x * e2x)) +
                         0.5 * p1x * p1x;
    const double inty2 = k_inv3 * (0.25 * (e1y * e1y + e2y * e1y + e2y * e2y) + (p1y * e1y + p1y * e2y)) +
                         0.5 * p1y * p1y;
    I += D * (intx2 + inty2);
  }
  *mass = box.density * area;
  *inertia = box.density * I;
}

}  // namespace

void Mat22::Set(double angle) {
  double s, c;
  fdlibm::sincos(angle, &s, &c);  // = Math.cos(angle), Math.sin(angle)
  col1.x = c;
  col2.x = -s;
  col1.y = s;
  col2.y = c;
}

// ---------------------------------------------------------------- world and bodies [P.1]

void World::Init(Vec2 gravity, BeginContactFn begin_contact, void* user) {
  // Only the bookkeeping is reset: bodies, joints, contacts and tree nodes
  // are initialised when they are created, so a reset costs no big memset.
  body_count = joint_count = 0;
  new_fixture_ = locked_ = false;
  inv_dt0_ = 0.0;
  body_list_ = joint_list_ = contact_list_ = -1;
  contact_pool_ = -1;
  contacts_used_ = 0;
  next_node_id_ = 0;
  root_ = free_node_ = -1;
  move_count_ = 0;
  island_body_count_ = island_contact_count_ = island_joint_count_ = 0;
  gravity_ = gravity;
  begin_contact_ = begin_contact;
  user_ = user;
  CreateBody(kStaticBody, {0.0, 0.0}, 0.0);  // the ground body
}

int World::CreateBody(int type, Vec2 position, double angle) {
  const int id = body_count++;
  Body& b = bodies[id];
  b = Body();
  b.type = type;
  b.flags = kAllowSleepFlag | kAwakeFlag | kActiveFlag;  // b2BodyDef defaults
  b.xf.position = position;
  b.xf.R.Set(angle);
  b.r_angle = angle;
  b.R0 = b.xf.R;
  b.a0 = b.a = angle;
  // c = R * localCenter + position, with localCenter (0, 0).
  b.c.x = (b.xf.R.col1.x * 0.0 + b.xf.R.col2.x * 0.0);
  b.c.y = (b.xf.R.col1.y * 0.0 + b.xf.R.col2.y * 0.0);
  b.c.x += position.x;
  b.c.y += position.y;
  b.c0 = b.c;
  if (type == kDynamicBody) b.mass = b.inv_mass = 1.0;
  b.next = body_list_;
  if (body_list_ >= 0) bodies[body_list_].prev = id;
  body_list_ = id;
  return id;
}

void World::CreateFixture(int body, const Box& box, int tag) {
  Body& b = bodies[body];
  b.has_fixture = true;
  b.box = box;
  b.tag = tag;
  const Polygon poly = MakePolygon(box);
  for (int i = 0; i < 4; ++i) b.vertices[i] = poly.v[i], b.normals[i] = poly.n[i];
  b.aabb = ComputeAABB(poly, b.xf);
  b.proxy = CreateProxy(b.aabb, body);
  if (box.density > 0.0 && b.type == kDynamicBody) {  // resetMassData
    double mass, I;
    BoxMass(box, &mass, &I);
    b.mass = mass;
    b.inv_mass = 1.0 / mass;
    // The centre is (0, 0): I -= mass * 0; inertiaScale 1.
    b.I = I - mass * (0.0 * 0.0 + 0.0 * 0.0);
    b.inv_I = 1.0 / b.I;
  } else if (b.type != kDynamicBody) {
    b.mass = b.inv_mass = b.I = b.inv_I = 0.0;
  }
  new_fixture_ = true;
}

int World::CreateJoint(int body_a, int body_b, Vec2 local_anchor_a, Vec2 local_anchor_b,
                       double reference_angle, bool enable_limit, double lower, double upper,
                       bool enable_motor, double max_motor_torque, double motor_speed) {
  const int id = joint_count++;
  RevoluteJoint& j = joints[id];
  j = RevoluteJoint();
  j.body_a = body_a, j.body_b = body_b;
  j.local_anchor1 = local_anchor_a, j.local_anchor2 = local_anchor_b;
  j.reference_angle = reference_angle;
  j.enable_limit = enable_limit, j.lower = lower, j.upper = upper;
  j.enable_motor = enable_motor, j.max_motor_torque = max_motor_torque, j.motor_speed = motor_speed;
  j.next = joint_list_;
  if (joint_list_ >= 0) joints[joint_list_].prev = id;
  joint_list_ = id;
  // edge A lives in body A's list (other = B), edge B in body B's.
  for (int side = 0; side < 2; ++side) {
    Body& owner = bodies[side == 0 ? body_a : body_b];
    const int edge = 2 * id + side;
    j.edge_prev[side] = -1;
    j.edge_next[side] = owner.joint_list;
    if (owner.joint_list >= 0) joints[owner.joint_list / 2].edge_prev[owner.joint_list % 2] = edge;
    owner.joint_list = edge;
  }
  // collideConnected is false: contacts between the two get re-filtered.
  for (int e = bodies[body_b].contact_list; e >= 0;) {
    const Contact& c = contacts[e / 2];
    const int other = e % 2 == 0 ? c.body_b : c.body_a;
    if (other == body_a) contacts[e / 2].flags |= kContactFilterFlag;
    e = c.edge_next[e % 2];
  }
  return id;
}

void World::SetPositionAndAngle(int body, Vec2 position, double angle) {
  if (locked_) return;
  Body& b = bodies[body];
  b.xf.R.Set(angle);
  b.r_angle = angle;
  b.xf.position = position;
  b.c.x = (b.xf.R.col1.x * 0.0 + b.xf.R.col2.x * 0.0);
  b.c.y = (b.xf.R.col1.y * 0.0 + b.xf.R.col2.y * 0.0);
  b.c.x += b.xf.position.x;
  b.c.y += b.xf.position.y;
  b.c0 = b.c;
  b.a0 = b.a = angle;
  b.R0 = b.xf.R;
  if (b.has_fixture) SynchronizeFixture(body, b.xf, b.xf);
  FindNewContacts();
}

void World::SetAwake(int body, bool flag) {
  Body& b = bodies[body];
  if (flag) {
    b.flags |= kAwakeFlag;
    b.sleep_time = 0.0;
  } else {
    b.flags &= ~kAwakeFlag;
    b.sleep_time = 0.0;
    b.v = {0.0, 0.0};
    b.w = 0.0;
    b.force = {0.0, 0.0};
    b.torque = 0.0;
  }
}

void World::ApplyTorque(int body, double torque) {
  Body& b = bodies[body];
  if (b.type != kDynamicBody) return;
  if (!b.awake()) SetAwake(body, true);
  b.torque += torque;
}

const Transform& World::Fresh(Body& b) {
  if (!SameBits(b.a, b.r_angle)) {
    b.xf.R.Set(b.a);
    b.r_angle = b.a;
  }
  return b.xf;
}

void World::SynchronizeTransform(Body& b) {
  // R follows lazily (Fresh).
  // position = c - R * localCenter with localCenter (0, 0): c - (+-0) is c.
  b.xf.position = b.c;
}

void World::SynchronizeFixture(int body, const Transform& xf1, const Transform& xf2) {
  Body& b = bodies[body];
  if (b.proxy < 0) return;
  const Polygon p = PolygonOf(b);
  b.aabb = Combine(ComputeAABB(p, xf1), ComputeAABB(p, xf2));
  const Vec2 d{xf2.position.x - xf1.position.x, xf2.position.y - xf1.position.y};
  MoveProxy(b.proxy, b.aabb, d);
}

void World::SynchronizeFixtures(int body) {
  Body& b = bodies[body];
  Transform xf1;
  xf1.R = b.R0;  // = R.set(a0): the same bits, computed when a0 was set
  xf1.position = b.c0;
  SynchronizeFixture(body, xf1, Fresh(b));
}

int World::touching_count() const {
  int n = 0;
  for (int c = contact_list_; c >= 0; c = contacts[c].next) n += contacts[c].touching();
  return n;
}

// ---------------------------------------------------------------- broadphase [P.1]

int World::AllocateNode() {
  int id;
  if (free_node_ >= 0) {
    id = free_node_;
    free_node_ = nodes_[id].parent;
  } else {
    id = next_node_id_++;
  }
  nodes_[id].parent = nodes_[id].child1 = nodes_[id].child2 = -1;
  nodes_[id].body = -1;
  nodes_[id].category = nodes_[id].mask = 0;
  nodes_[id].dynamic = false;
  return id;
}

void World::UpdateFilters(int node) {
  bool first = true;
  for (; node >= 0; node = nodes_[node].parent) {
    TreeNode& n = nodes_[node];
    if (n.leaf()) continue;
    const TreeNode& c1 = nodes_[n.child1];
    const TreeNode& c2 = nodes_[n.child2];
    const uint16_t category = c1.category | c2.category, mask = c1.mask | c2.mask;
    const bool dynamic = c1.dynamic || c2.dynamic;
    // A node made or re-parented just now (parent given) always updates; above
    // an unchanged node nothing changes.
    if (category == n.category && mask == n.mask && dynamic == n.dynamic && !first) break;
    n.category = category, n.mask = mask, n.dynamic = dynamic;
    first = false;
  }
}

void World::FreeNode(int id) {
  nodes_[id].parent = free_node_;
  free_node_ = id;
}

void World::InsertLeaf(int leaf) {
  if (root_ < 0) {
    root_ = leaf;
    nodes_[leaf].parent = -1;
    return;
  }
  const AABB& la = nodes_[leaf].aabb;
  const double cx = (la.lower.x + la.upper.x) / 2, cy = (la.lower.y + la.upper.y) / 2;
  int sibling = root_;
  while (!nodes_[sibling].leaf()) {
    const AABB& a1 = nodes_[nodes_[sibling].child1].aabb;
    const AABB& a2 = nodes_[nodes_[sibling].child2].aabb;
    const double norm1 = std::fabs((a1.lower.x + a1.upper.x) / 2 - cx) + std::fabs((a1.lower.y + a1.upper.y) / 2 - cy);
    const double norm2 = std::fabs((a2.lower.x + a2.upper.x) / 2 - cx) + std::fabs((a2.lower.y + a2.upper.y) / 2 - cy);
    sibling = norm1 < norm2 ? nodes_[sibling].child1 : nodes_[sibling].child2;
  }
  int node1 = nodes_[sibling].parent;
  int node2 = AllocateNode();
  nodes_[node2].parent = node1;
  nodes_[node2].aabb = Combine(nodes_[leaf].aabb, nodes_[sibling].aabb);
  nodes_[node2].child1 = sibling;
  nodes_[node2].child2 = leaf;
  if (node1 >= 0) {
    if (nodes_[node1].child1 == sibling) nodes_[node1].child1 = node2;
    else nodes_[node1].child2 = node2;
    nodes_[sibling].parent = node2;
    nodes_[leaf].parent = node2;
    UpdateFilters(node2);
    do {
      if (Contains(nodes_[node1].aabb, nodes_[node2].aabb)) break;
      nodes_[node1].aabb = Combine(nodes_[nodes_[node1].child1].aabb, nodes_[nodes_[node1].child2].aabb);
      node2 = node1;
      node1 = nodes_[node1].parent;
    } while (node1 >= 0);
  } else {
    nodes_[sibling].parent = node2;
    nodes_[leaf].parent = node2;
    root_ = node2;
    UpdateFilters(node2);
  }
}

void World::RemoveLeaf(int leaf) {
  if (leaf == root_) {
    root_ = -1;
    return;
  }
  const int node2 = nodes_[leaf].parent;
  int node1 = nodes_[node2].parent;
  const int sibling = nodes_[node2].child1 == leaf ? nodes_[node2].child2 : nodes_[node2].child1;
  if (node1 >= 0) {
    if (nodes_[node1].child1 == node2) nodes_[node1].child1 = sibling;
    else nodes_[node1].child2 = sibling;
    nodes_[sibling].parent = node1;
    FreeNode(node2);
    UpdateFilters(node1);
    while (node1 >= 0) {
      const AABB old = nodes_[node1].aabb;
      nodes_[node1].aabb = Combine(nodes_[nodes_[node1].child1].aabb, nodes_[nodes_[node1].child2].aabb);
      if (Contains(old, nodes_[node1].aabb)) break;
      node1 = nodes_[node1].parent;
    }
  } else {
    root_ = sibling;
    nodes_[sibling].parent = -1;
    FreeNode(node2);
  }
}

int World::CreateProxy(const AABB& aabb, int body) {
  const int id = AllocateNode();
  TreeNode& n = nodes_[id];
  n.aabb = {{aabb.lower.x - kAabbExtension, aabb.lower.y - kAabbExtension},
            {aabb.upper.x + kAabbExtension, aabb.upper.y + kAabbExtension}};
  n.body = body;
  n.category = bodies[body].box.category;
  n.mask = bodies[body].box.mask;
  n.dynamic = bodies[body].type == kDynamicBody;
  InsertLeaf(id);
  BufferMove(id);
  return id;
}

void World::MoveProxy(int proxy, const AABB& aabb, Vec2 d) {
  if (Contains(nodes_[proxy].aabb, aabb)) return;
  RemoveLeaf(proxy);
  const double ex = kAabbExtension + kAabbMultiplier * (d.x > 0 ? d.x : -d.x);
  const double ey = kAabbExtension + kAabbMultiplier * (d.y > 0 ? d.y : -d.y);
  nodes_[proxy].aabb = {{aabb.lower.x - ex, aabb.lower.y - ey}, {aabb.upper.x + ex, aabb.upper.y + ey}};
  InsertLeaf(proxy);
  BufferMove(proxy);
}

void World::BufferMove(int proxy) {
  if (move_count_ < kMaxMoves) move_buffer_[move_count_++] = proxy;
}

void World::UpdatePairs() {
  int pair_count = 0;
  int stack[kMaxNodes];
  for (int m = 0; m < move_count_; ++m) {
    const int query = move_buffer_[m];
    const AABB fat = nodes_[query].aabb;
    const TreeNode& q = nodes_[query];
    if (root_ < 0) continue;
    int count = 0;
    stack[count++] = root_;
    while (count > 0) {
      const int node = stack[--count];
      const TreeNode& n = nodes_[node];
      if (!(n.mask & q.category) || !(q.mask & n.category) || !(n.dynamic || q.dynamic)) continue;
      if (!TestOverlap(nodes_[node].aabb, fat)) continue;
      if (nodes_[node].leaf()) {
        if (node == query || pair_count >= kMaxPairs) continue;
        // A pair AddPair is sure to refuse (same body: impossible; both
        // static; masks that exclude each other) is not recorded: AddPair
        // would return without a trace, and a duplicate it could leave next
        // to its twin is refused there as "contact exists". The result is the
        // game's; the runner parts' 66 mutual pairs no longer cost anything.
        if (!MayCollide(nodes_[node].body, nodes_[query].body)) continue;
        pair_a_[pair_count] = node < query ? node : query;
        pair_b_[pair_count] = node < query ? query : node;
        ++pair_count;
      } else {
        stack[count++] = nodes_[node].child1;
        stack[count++] = nodes_[node].child2;
      }
    }
  }
  move_count_ = 0;
  for (int i = 0; i < pair_count;) {
    const int a = pair_a_[i], b = pair_b_[i];
    AddPair(nodes_[a].body, nodes_[b].body);
    ++i;
    while (i < pair_count && pair_a_[i] == a && pair_b_[i] == b) ++i;
  }
}

// ---------------------------------------------------------------- contact manager [P.1]

bool World::MayCollide(int a, int b) const {
  const Body& A = bodies[a];
  const Body& B = bodies[b];
  if (A.type != kDynamicBody && B.type != kDynamicBody) return false;
  return (A.box.mask & B.box.category) != 0 && (A.box.category & B.box.mask) != 0;
}

bool World::ShouldCollide(int body_b, int body_a) const {
  const Body& b = bodies[body_b];
  if (b.type != kDynamicBody && bodies[body_a].type != kDynamicBody) return false;
  for (int e = b.joint_list; e >= 0;) {
    const RevoluteJoint& j = joints[e / 2];
    const int other = e % 2 == 0 ? j.body_b : j.body_a;
    if (other == body_a && !j.collide_connected) return false;
    e = j.edge_next[e % 2];
  }
  return true;
}

void World::AddPair(int body_a, int body_b) {
  if (body_a == body_b) return;
  Body& A = bodies[body_a];
  Body& B = bodies[body_b];
  for (int e = B.contact_list; e >= 0;) {
    const Contact& c = contacts[e / 2];
    const int other = e % 2 == 0 ? c.body_b : c.body_a;
    if (other == body_a) return;  // one fixture per body: same pair
    e = c.edge_next[e % 2];
  }
  if (!ShouldCollide(body_b, body_a)) return;
  if ((A.box.mask & B.box.category) == 0 || (A.box.category & B.box.mask) == 0) return;

  int id;
  if (contact_pool_ >= 0) {
    id = contact_pool_;
    contact_pool_ = contacts[id].pool_next;
  } else {
    if (contacts_used_ >= kMaxContacts) return;  // cannot happen in QWOP's world
    id = contacts_used_++;
  }
  Contact& c = contacts[id];
  c.flags = kContactEnabledFlag;
  c.body_a = body_a;
  c.body_b = body_b;
  c.manifold().point_count = 0;
  c.prev = -1;
  c.next = contact_list_;
  if (contact_list_ >= 0) contacts[contact_list_].prev = id;
  contact_list_ = id;
  for (int side = 0; side < 2; ++side) {
    Body& owner = side == 0 ? A : B;
    const int edge = 2 * id + side;
    c.edge_prev[side] = -1;
    c.edge_next[side] = owner.contact_list;
    if (owner.contact_list >= 0) contacts[owner.contact_list / 2].edge_prev[owner.contact_list % 2] = edge;
    owner.contact_list = edge;
  }
}

void World::DestroyContact(int id) {
  Contact& c = contacts[id];
  // (endContact: the game's is empty)
  if (c.prev >= 0) contacts[c.prev].next = c.next;
  if (c.next >= 0) contacts[c.next].prev = c.prev;
  if (id == contact_list_) contact_list_ = c.next;
  for (int side = 0; side < 2; ++side) {
    Body& owner = bodies[side == 0 ? c.body_a : c.body_b];
    const int edge = 2 * id + side;
    const int p = c.edge_prev[side], n = c.edge_next[side];
    if (p >= 0) contacts[p / 2].edge_next[p % 2] = n;
    if (n >= 0) contacts[n / 2].edge_prev[n % 2] = p;
    if (owner.contact_list == edge) owner.contact_list = n;
  }
  if (c.manifold().point_count > 0) {
    SetAwake(c.body_a, true);
    SetAwake(c.body_b, true);
  }
  c.flags = 0;
  c.pool_next = contact_pool_;
  contact_pool_ = id;
}

void World::Collide() {
  for (int id = contact_list_; id >= 0;) {
    Contact& c = contacts[id];
    const int next = c.next;
    if (!bodies[c.body_a].awake() && !bodies[c.body_b].awake()) {
      id = next;
      continue;
    }
    if (c.flags & kContactFilterFlag) {
      const Body& A = bodies[c.body_a];
      const Body& B = bodies[c.body_b];
      if (!ShouldCollide(c.body_b, c.body_a) || (A.box.mask & B.box.category) == 0 ||
          (A.box.category & B.box.mask) == 0) {
        DestroyContact(id);
        id = next;
        continue;
      }
      c.flags &= ~kContactFilterFlag;
    }
    if (!TestOverlap(nodes_[bodies[c.body_a].proxy].aabb, nodes_[bodies[c.body_b].proxy].aabb)) {
      DestroyContact(id);
      id = next;
      continue;
    }
    UpdateContact(id);
    id = next;
  }
}

void World::Evaluate(int id) {
  Contact& c = contacts[id];
  Body& A = bodies[c.body_a];
  Body& B = bodies[c.body_b];
  CollidePolygons(&c.manifold(), PolygonOf(A), Fresh(A), PolygonOf(B), Fresh(B));
}

void World::UpdateContact(int id) {
  Contact& c = contacts[id];
  c.current ^= 1;  // swap m_manifold and m_oldManifold
  c.flags |= kContactEnabledFlag;
  const bool was_touching = c.touching();
  bool touching = false;
  Manifold& m = c.manifold();
  const Manifold& old = c.manifolds[c.current ^ 1];
  if (TestOverlap(bodies[c.body_a].aabb, bodies[c.body_b].aabb)) {
    Evaluate(id);
    touching = m.point_count > 0;
    for (int i = 0; i < m.point_count; ++i) {
      ManifoldPoint& p = m.points[i];
      p.normal_impulse = 0.0;
      p.tangent_impulse = 0.0;
      for (int k = 0; k < old.point_count; ++k) {
        if (old.points[k].key == p.key) {
          p.normal_impulse = old.points[k].normal_impulse;
          p.tangent_impulse = old.points[k].tangent_impulse;
          break;
        }
      }
    }
  } else {
    m.point_count = 0;
  }
  if (touching != was_touching) {
    SetAwake(c.body_a, true);
    SetAwake(c.body_b, true);
  }
  if (touching) c.flags |= kContactTouchingFlag;
  else c.flags &= ~kContactTouchingFlag;
  if (!was_touching && touching && begin_contact_) begin_contact_(user_, *this, id);
}

void World::GetWorldManifold(int id, WorldManifold* out) {
  const Contact& c = contacts[id];
  *out = WorldManifold{};
  InitWorldManifold(out, c.manifold(), Fresh(bodies[c.body_a]), kPolygonRadius, Fresh(bodies[c.body_b]),
                    kPolygonRadius);
}

// ---------------------------------------------------------------- step and islands [P.1, P.2]

void World::Step(double dt, int velocity_iterations, int position_iterations) {
  if (BeginStep(dt, velocity_iterations, position_iterations)) {
    for (int k = 0; k < island_count_; ++k) SolveIslandAt(k);
  }
  EndStep();
}

bool World::BeginStep(double dt, int velocity_iterations, int position_iterations) {
  if (new_fixture_) {
    FindNewContacts();
    new_fixture_ = false;
  }
  locked_ = true;
  TimeStep& step = step_;
  step.dt = dt;
  step.velocity_iterations = velocity_iterations;
  step.position_iterations = position_iterations;
  step.inv_dt = dt > 0.0 ? 1.0 / dt : 0.0;
  step.dt_ratio = inv_dt0_ * dt;
  step.warm_starting = true;
  Collide();
  island_count_ = 0;
  if (!(step.dt > 0.0)) return false;
  BuildIslands();
  return true;
}

void World::EndStep() {
  if (step_.dt > 0.0) {
    for (int b = body_list_; b >= 0; b = bodies[b].next) {
      const Body& body = bodies[b];
      if (!body.awake() || !(body.flags & kActiveFlag) || body.type == kStaticBody) continue;
      SynchronizeFixtures(b);
    }
    FindNewContacts();
    // (continuous physics is off in the game: no TOI)
    inv_dt0_ = step_.inv_dt;
  }
  locked_ = false;
}

// b2World.Solve's island search. The game solves each island as soon as it is
// found; building them all first gives the same islands, because solving one
// changes nothing the search reads (flags, contacts' touching state).
void World::BuildIslands() {
  for (int b = body_list_; b >= 0; b = bodies[b].next) bodies[b].flags &= ~kIslandFlag;
  for (int c = contact_list_; c >= 0; c = contacts[c].next) contacts[c].flags &= ~kContactIslandFlag;
  for (int j = joint_list_; j >= 0; j = joints[j].next) joints[j].island = false;

  int nb = 0, nc = 0, nj = 0;
  for (int seed = body_list_; seed >= 0; seed = bodies[seed].next) {
    Body& s = bodies[seed];
    if ((s.flags & kIslandFlag) || !s.awake() || !(s.flags & kActiveFlag) || s.type == kStaticBody) continue;
    IslandRange& island = islands_[island_count_++];
    island.body_begin = nb, island.contact_begin = nc, island.joint_begin = nj;
    int stack_count = 0;
    stack_[stack_count++] = seed;
    s.flags |= kIslandFlag;
    while (stack_count > 0) {
      const int bi = stack_[--stack_count];
      Body& b = bodies[bi];
      island_body_store_[nb++] = bi;
      if (!b.awake()) SetAwake(bi, true);
      if (b.type == kStaticBody) continue;
      for (int e = b.contact_list; e >= 0;) {
        Contact& c = contacts[e / 2];
        const int next = c.edge_next[e % 2];
        if ((c.flags & kContactIslandFlag) || !(c.flags & kContactEnabledFlag) || !c.touching()) {
          e = next;
          continue;
        }
        island_contact_store_[nc++] = e / 2;
        c.flags |= kContactIslandFlag;
        const int other = e % 2 == 0 ? c.body_b : c.body_a;
        if (!(bodies[other].flags & kIslandFlag)) {
          stack_[stack_count++] = other;
          bodies[other].flags |= kIslandFlag;
        }
        e = next;
      }
      for (int e = b.joint_list; e >= 0;) {
        RevoluteJoint& j = joints[e / 2];
        const int next = j.edge_next[e % 2];
        const int other = e % 2 == 0 ? j.body_b : j.body_a;
        if (j.island || !(bodies[other].flags & kActiveFlag)) {
          e = next;
          continue;
        }
        island_joint_store_[nj++] = e / 2;
        j.island = true;
        if (!(bodies[other].flags & kIslandFlag)) {
          stack_[stack_count++] = other;
          bodies[other].flags |= kIslandFlag;
        }
        e = next;
      }
    }
    island.body_count = nb - island.body_begin;
    island.contact_count = nc - island.contact_begin;
    island.joint_count = nj - island.joint_begin;
    // A static body may join the next island too.
    for (int i = island.body_begin; i < nb; ++i) {
      Body& b = bodies[island_body_store_[i]];
      if (b.type == kStaticBody) b.flags &= ~kIslandFlag;
    }
  }
}

void World::SelectIsland(int k) {
  const IslandRange& island = islands_[k];
  island_bodies_ = island_body_store_ + island.body_begin;
  island_contacts_ = island_contact_store_ + island.contact_begin;
  island_joints_ = island_joint_store_ + island.joint_begin;
  island_body_count_ = island.body_count;
  island_contact_count_ = island.contact_count;
  island_joint_count_ = island.joint_count;
}

void World::SolveIslandAt(int k) {
  SelectIsland(k);
  SolveIsland(step_);
}

void World::SolveIsland(const TimeStep& step) {
  // 1. integrate velocities
  IntegrateVelocities(step);
  // 2-3. contact solver set-up and warm start, then the joints'
  InitContactSolver(step);
  WarmStartContacts(step);
  for (int i = 0; i < island_joint_count_; ++i) InitJoint(joints[island_joints_[i]], step);
  // 4. velocity iterations: joints first, then contacts
  for (int it = 0; it < step.velocity_iterations; ++it) {
    for (int i = 0; i < island_joint_count_; ++i) SolveJointVelocity(joints[island_joints_[i]], step);
    SolveContactVelocities();
  }
  FinalizeContacts();
  // 6. integrate positions with the translation and rotation clamps
  IntegratePositions(step);
  // 7. position iterations: contacts first, then every joint (no short-circuit)
  for (int it = 0; it < step.position_iterations; ++it) {
    const bool contacts_ok = SolveContactPositions(kContactBaumgarte);
    bool joints_ok = true;
    for (int i = 0; i < island_joint_count_; ++i) {
      const bool ok = SolveJointPosition(joints[island_joints_[i]]);
      joints_ok = joints_ok && ok;
    }
    if (contacts_ok && joints_ok) break;
  }
  // 9. sleep
  SleepIsland(step);
}

void World::IntegrateVelocities(const TimeStep& step) {
  const double dt = step.dt;
  // (damping factors are exactly 1: no-op)
  for (int i = 0; i < island_body_count_; ++i) {
    Body& b = bodies[island_bodies_[i]];
    if (b.type != kDynamicBody) continue;
    b.v.x += dt * (gravity_.x + b.inv_mass * b.force.x);
    b.v.y += dt * (gravity_.y + b.inv_mass * b.force.y);
    b.w += dt * b.inv_I * b.torque;
  }
}

void World::IntegratePositions(const TimeStep& step) {
  const double dt = step.dt;
  for (int i = 0; i < island_body_count_; ++i) {
    Body& b = bodies[island_bodies_[i]];
    if (b.type == kStaticBody) continue;
    const double tx = dt * b.v.x, ty = dt * b.v.y;
    if ((tx * tx + ty * ty) > kMaxTranslationSquared) {
      const double len = std::sqrt(b.v.x * b.v.x + b.v.y * b.v.y);
      if (!(len < kMinValue)) {
        const double inv = 1.0 / len;
        b.v.x *= inv;
        b.v.y *= inv;
      }
      b.v.x *= kMaxTranslation * step.inv_dt;
      b.v.y *= kMaxTranslation * step.inv_dt;
    }
    const double rotation = dt * b.w;
    if (rotation * rotation > kMaxRotationSquared) {
      b.w = b.w < 0.0 ? -kMaxRotation * step.inv_dt : kMaxRotation * step.inv_dt;
    }
    b.c0 = b.c;
    b.a0 = b.a;
    b.R0 = Fresh(b).R;
    b.c.x += dt * b.v.x;
    b.c.y += dt * b.v.y;
    b.a += dt * b.w;
    SynchronizeTransform(b);
  }
}

void World::SleepIsland(const TimeStep& step) {
  const double dt = step.dt;
  double min_sleep = kMaxValue;
  const double lin_tol_sq = kLinearSleepTolerance * kLinearSleepTolerance;
  const double ang_tol_sq = kAngularSleepTolerance * kAngularSleepTolerance;
  for (int i = 0; i < island_body_count_; ++i) {
    Body& b = bodies[island_bodies_[i]];
    if (b.type == kStaticBody) continue;
    if (!(b.flags & kAllowSleepFlag) || b.w * b.w > ang_tol_sq || (b.v.x * b.v.x + b.v.y * b.v.y) > lin_tol_sq) {
      b.sleep_time = 0.0;
      min_sleep = 0.0;
    } else {
      b.sleep_time += dt;
      min_sleep = Min(min_sleep, b.sleep_time);
    }
  }
  if (min_sleep >= kTimeToSleep) {
    for (int i = 0; i < island_body_count_; ++i) SetAwake(island_bodies_[i], false);
  }
}

// ---------------------------------------------------------------- contact solver [P.3]

void World::InitContactSolver(const TimeStep&) {
  for (int i = 0; i < island_contact_count_; ++i) {
    Contact& contact = contacts[island_contacts_[i]];
    Body& A = bodies[contact.body_a];
    Body& B = bodies[contact.body_b];
    const Manifold& m = contact.manifold();
    const double friction = std::sqrt(A.box.friction * B.box.friction);
    const double restitution = A.box.restitution > B.box.restitution ? A.box.restitution : B.box.restitution;
    const double vax = A.v.x, vay = A.v.y, vbx = B.v.x, vby = B.v.y;
    const double wa = A.w, wb = B.w;
    WorldManifold wm{};
    InitWorldManifold(&wm, m, Fresh(A), kPolygonRadius, Fresh(B), kPolygonRadius);
    const double nx = wm.normal.x, ny = wm.normal.y;
    ContactConstraint& cc = constraints_[i];
    cc.body_a = contact.body_a;
    cc.body_b = contact.body_b;
    cc.contact = island_contacts_[i];
    cc.normal = {nx, ny};
    cc.point_count = m.point_count;
    cc.friction = friction;
    cc.restitution = restitution;
    cc.local_plane_normal = m.local_plane_normal;
    cc.local_point = m.local_point;
    cc.radius = kPolygonRadius + kPolygonRadius;
    cc.type = m.type;
    for (int k = 0; k < cc.point_count; ++k) {
      const ManifoldPoint& cp = m.points[k];
      ContactConstraintPoint& ccp = cc.points[k];
      ccp.normal_impulse = cp.normal_impulse;
      ccp.tangent_impulse = cp.tangent_impulse;
      ccp.local_point = cp.local_point;
      const double rax = ccp.rA.x = wm.points[k].x - A.c.x;
      const double ray = ccp.rA.y = wm.points[k].y - A.c.y;
      const double rbx = ccp.rB.x = wm.points[k].x - B.c.x;
      const double rby = ccp.rB.y = wm.points[k].y - B.c.y;
      double rna, rnb, rta, rtb;
      SquaredArms(rax, ray, rbx, rby, nx, ny, &rna, &rnb);
      ccp.normal_mass = 1.0 / (A.inv_mass + B.inv_mass + A.inv_I * rna + B.inv_I * rnb);
      double k_equalized = A.mass * A.inv_mass + B.mass * B.inv_mass;
      k_equalized += A.mass * A.inv_I * rna + B.mass * B.inv_I * rnb;
      ccp.equalized_mass = 1.0 / k_equalized;
      SquaredArms(rax, ray, rbx, rby, ny, -nx, &rta, &rtb);  // along the tangent (n.y, -n.x)
      ccp.tangent_mass = 1.0 / (A.inv_mass + B.inv_mass + A.inv_I * rta + B.inv_I * rtb);
      ccp.velocity_bias = 0.0;
      const double dvx = vbx + (-wb * rby) - vax - (-wa * ray);
      const double dvy = vby + (wb * rbx) - vay - (wa * rax);
      const double vrel = cc.normal.x * dvx + cc.normal.y * dvy;
      if (vrel < -kVelocityThreshold) ccp.velocity_bias += -cc.restitution * vrel;
    }
    if (cc.point_count == 2) {
      const ContactConstraintPoint& p1 = cc.points[0];
      const ContactConstraintPoint& p2 = cc.points[1];
      const double ima = A.inv_mass, iia = A.inv_I, imb = B.inv_mass, iib = B.inv_I;
      const double rn1a = p1.rA.x * ny - p1.rA.y * nx;
      const double rn1b = p1.rB.x * ny - p1.rB.y * nx;
      const double rn2a = p2.rA.x * ny - p2.rA.y * nx;
      const double rn2b = p2.rB.x * ny - p2.rB.y * nx;
      const double k11 = ima + imb + iia * rn1a * rn1a + iib * rn1b * rn1b;
      const double k22 = ima + imb + iia * rn2a * rn2a + iib * rn2b * rn2b;
      const double k12 = ima + imb + iia * rn1a * rn2a + iib * rn1b * rn2b;
      if (k11 * k11 < 100.0 * (k11 * k22 - k12 * k12)) {
        cc.K.col1 = {k11, k12};
        cc.K.col2 = {k12, k22};
        cc.normal_mass = Inverse(cc.K);
      } else {
        cc.point_count = 1;
      }
    }
  }
}

void World::WarmStartContacts(const TimeStep& step) {
  for (int i = 0; i < island_contact_count_; ++i) {
    ContactConstraint& c = constraints_[i];
    Body& A = bodies[c.body_a];
    Body& B = bodies[c.body_b];
    const double nx = c.normal.x, ny = c.normal.y;
    const double tx = ny, ty = -nx;
    for (int j = 0; j < c.point_count; ++j) {
      ContactConstraintPoint& p = c.points[j];
      p.normal_impulse *= step.dt_ratio;
      p.tangent_impulse *= step.dt_ratio;
      const double px = p.normal_impulse * nx + p.tangent_impulse * tx;
      const double py = p.normal_impulse * ny + p.tangent_impulse * ty;
      A.w -= A.inv_I * (p.rA.x * py - p.rA.y * px);
      A.v.x -= A.inv_mass * px;
      A.v.y -= A.inv_mass * py;
      B.w += B.inv_I * (p.rB.x * py - p.rB.y * px);
      B.v.x += B.inv_mass * px;
      B.v.y += B.inv_mass * py;
    }
  }
}

namespace {
// One point's impulse P = (px, py): -P on A at rA, +P on B at rB, in the
// source's order (linear A, angular A, linear B, angular B).
inline void ApplyImpulse(double px, double py, const ContactConstraintPoint& p, double ima, double iia,
                         double imb, double iib, Vec2* va, double* wa, Vec2* vb, double* wb) {
  va->x -= ima * px;
  va->y -= ima * py;
  *wa -= iia * (p.rA.x * py - p.rA.y * px);
  vb->x += imb * px;
  vb->y += imb * py;
  *wb += iib * (p.rB.x * py - p.rB.y * px);
}
}  // namespace

void World::SolveContactVelocities() {
  for (int i = 0; i < island_contact_count_; ++i) {
    ContactConstraint& c = constraints_[i];
    Body& A = bodies[c.body_a];
    Body& B = bodies[c.body_b];
    double wa = A.w, wb = B.w;
    Vec2& va = A.v;
    Vec2& vb = B.v;
    const double ima = A.inv_mass, iia = A.inv_I, imb = B.inv_mass, iib = B.inv_I;
    const double nx = c.normal.x, ny = c.normal.y;
    const double tx = ny, ty = -nx;
    const double friction = c.friction;
    // friction first
    for (int j = 0; j < c.point_count; ++j) {
      ContactConstraintPoint& p = c.points[j];
      const double dvx = vb.x - wb * p.rB.y - va.x + wa * p.rA.y;
      const double dvy = vb.y + wb * p.rB.x - va.y - wa * p.rA.x;
      const double vt = dvx * tx + dvy * ty;
      double lambda = p.tangent_mass * -vt;
      const double max_friction = friction * p.normal_impulse;
      const double new_impulse = Clamp(p.tangent_impulse + lambda, -max_friction, max_friction);
      lambda = new_impulse - p.tangent_impulse;
      const double px = lambda * tx, py = lambda * ty;
      ApplyImpulse(px, py, p, ima, iia, imb, iib, &va, &wa, &vb, &wb);
      p.tangent_impulse = new_impulse;
    }
    if (c.point_count == 1) {
      ContactConstraintPoint& p = c.points[0];
      const double dvx = vb.x + (-wb * p.rB.y) - va.x - (-wa * p.rA.y);
      const double dvy = vb.y + (wb * p.rB.x) - va.y - (wa * p.rA.x);
      const double vn = dvx * nx + dvy * ny;
      double lambda = -p.normal_mass * (vn - p.velocity_bias);
      double new_impulse = p.normal_impulse + lambda;
      new_impulse = new_impulse > 0 ? new_impulse : 0.0;
      lambda = new_impulse - p.normal_impulse;
      const double px = lambda * nx, py = lambda * ny;
      ApplyImpulse(px, py, p, ima, iia, imb, iib, &va, &wa, &vb, &wb);
      p.normal_impulse = new_impulse;
    } else if (c.point_count == 2) {
      ContactConstraintPoint& p1 = c.points[0];
      ContactConstraintPoint& p2 = c.points[1];
      const double ax = p1.normal_impulse, ay = p2.normal_impulse;
      const double dv1x = vb.x - wb * p1.rB.y - va.x + wa * p1.rA.y;
      const double dv1y = vb.y + wb * p1.rB.x - va.y - wa * p1.rA.x;
      const double dv2x = vb.x - wb * p2.rB.y - va.x + wa * p2.rA.y;
      const double dv2y = vb.y + wb * p2.rB.x - va.y - wa * p2.rA.x;
      const double vn1 = dv1x * nx + dv1y * ny;
      const double vn2 = dv2x * nx + dv2y * ny;
      double bx = vn1 - p1.velocity_bias;
      double by = vn2 - p2.velocity_bias;
      bx -= c.K.col1.x * ax + c.K.col2.x * ay;
      by -= c.K.col1.y * ax + c.K.col2.y * ay;
      double xx, xy;
      bool apply = false;
      for (;;) {
        xx = -(c.normal_mass.col1.x * bx + c.normal_mass.col2.x * by);
        xy = -(c.normal_mass.col1.y * bx + c.normal_mass.col2.y * by);
        if (xx >= 0.0 && xy >= 0.0) {
          apply = true;
          break;
        }
        xx = -p1.normal_mass * bx;
        xy = 0.0;
        const double vn2b = c.K.col1.y * xx + by;
        if (xx >= 0.0 && vn2b >= 0.0) {
          apply = true;
          break;
        }
        xx = 0.0;
        xy = -p2.normal_mass * by;
        const double vn1b = c.K.col2.x * xy + bx;
        if (xy >= 0.0 && vn1b >= 0.0) {
          apply = true;
          break;
        }
        xx = 0.0;
        xy = 0.0;
        if (bx >= 0.0 && by >= 0.0) {
          apply = true;
          break;
        }
        break;
      }
      if (apply) {
        const double dx = xx - ax, dy = xy - ay;
        const double p1x = dx * nx, p1y = dx * ny;
        const double p2x = dy * nx, p2y = dy * ny;
        va.x -= ima * (p1x + p2x);
        va.y -= ima * (p1y + p2y);
        wa -= iia * (p1.rA.x * p1y - p1.rA.y * p1x + p2.rA.x * p2y - p2.rA.y * p2x);
        vb.x += imb * (p1x + p2x);
        vb.y += imb * (p1y + p2y);
        wb += iib * (p1.rB.x * p1y - p1.rB.y * p1x + p2.rB.x * p2y - p2.rB.y * p2x);
        p1.normal_impulse = xx;
        p2.normal_impulse = xy;
      }
    }
    A.w = wa;
    B.w = wb;
  }
}

void World::FinalizeContacts() {
  for (int i = 0; i < island_contact_count_; ++i) {
    const ContactConstraint& c = constraints_[i];
    Manifold& m = contacts[c.contact].manifold();
    for (int j = 0; j < c.point_count; ++j) {
      m.points[j].normal_impulse = c.points[j].normal_impulse;
      m.points[j].tangent_impulse = c.points[j].tangent_impulse;
    }
  }
}

bool World::SolveContactPositions(double baumgarte) {
  double min_separation = 0.0;
  for (int i = 0; i < island_contact_count_; ++i) {
    ContactConstraint& c = constraints_[i];
    Body& A = bodies[c.body_a];
    Body& B = bodies[c.body_b];
    // "Equalized" factors: products, not constants (0.9999999999999999 for the torso).
    const double ima = A.mass * A.inv_mass, iia = A.mass * A.inv_I;
    const double imb = B.mass * B.inv_mass, iib = B.mass * B.inv_I;
    // b2PositionSolverManifold.initialize, once per constraint.
    double nx, ny;
    Vec2 points[2];
    double separations[2];
    Fresh(A);
    Fresh(B);
    // FACE_A: the plane on A, points on B; FACE_B the other way round, and
    // the normal turned to point from A to B.
    const bool face_a = c.type == kFaceA;
    const Transform& ref = face_a ? A.xf : B.xf;
    const Transform& inc = face_a ? B.xf : A.xf;
    nx = ref.R.col1.x * c.local_plane_normal.x + ref.R.col2.x * c.local_plane_normal.y;
    ny = ref.R.col1.y * c.local_plane_normal.x + ref.R.col2.y * c.local_plane_normal.y;
    const Vec2 plane = MulX(ref, c.local_point);
    for (int k = 0; k < c.point_count; ++k) {
      const Vec2 clip = MulX(inc, c.points[k].local_point);
      separations[k] = (clip.x - plane.x) * nx + (clip.y - plane.y) * ny - c.radius;
      points[k] = clip;
    }
    if (!face_a) {
      nx *= -1;
      ny *= -1;
    }
    for (int j = 0; j < c.point_count; ++j) {
      const ContactConstraintPoint& ccp = c.points[j];
      const Vec2& point = points[j];
      const double separation = separations[j];
      const double rax = point.x - A.c.x, ray = point.y - A.c.y;
      const double rbx = point.x - B.c.x, rby = point.y - B.c.y;
      min_separation = min_separation < separation ? min_separation : separation;
      const double C = Clamp(baumgarte * (separation + kLinearSlop), -kMaxLinearCorrection, 0.0);
      const double impulse = -ccp.equalized_mass * C;
      const double px = impulse * nx, py = impulse * ny;
      // A static body's values do not change (0 * x subtracted), and
      // re-synchronizing it gives the same bits: skip the trigonometry.
      A.c.x -= ima * px;
      A.c.y -= ima * py;
      A.a -= iia * (rax * py - ray * px);
      if (A.type != kStaticBody) SynchronizeTransform(A);
      B.c.x += imb * px;
      B.c.y += imb * py;
      B.a += iib * (rbx * py - rby * px);
      if (B.type != kStaticBody) SynchronizeTransform(B);
    }
  }
  return min_separation > -1.5 * kLinearSlop;
}

// ---------------------------------------------------------------- revolute joint [P.5]

void World::InitJoint(RevoluteJoint& j, const TimeStep& step) {
  Body& b1 = bodies[j.body_a];
  Body& b2 = bodies[j.body_b];
  // r = R * (localAnchor - localCenter), localCenter (0, 0)
  const Vec2 arm1 = Arm(Fresh(b1).R, j.local_anchor1), arm2 = Arm(Fresh(b2).R, j.local_anchor2);
  const double r1x = arm1.x, r1y = arm1.y, r2x = arm2.x, r2y = arm2.y;
  j.r1 = {r1x, r1y};
  j.r2 = {r2x, r2y};
  const double im1 = b1.inv_mass, im2 = b2.inv_mass, ii1 = b1.inv_I, ii2 = b2.inv_I;
  const Mat22 K = PointK(im1, im2, ii1, ii2, r1x, r1y, r2x, r2y);
  j.pivot_mass = Inverse(K);
  j.motor_mass = 1.0 / (ii1 + ii2);
  j.BeginStep(bodies);
  if (step.warm_starting) {
    const Vec2 F = j.pivot_force;
    b1.v.x -= step.dt * im1 * F.x;
    b1.v.y -= step.dt * im1 * F.y;
    b1.w -= step.dt * ii1 * ((r1x * F.y - r1y * F.x) + j.motor_force + j.limit_force);
    b2.v.x += step.dt * im2 * F.x;
    b2.v.y += step.dt * im2 * F.y;
    b2.w += step.dt * ii2 * ((r2x * F.y - r2y * F.x) + j.motor_force + j.limit_force);
  } else {
    j.pivot_force = {0.0, 0.0};
    j.motor_force = 0.0;
    j.limit_force = 0.0;
  }
}

void World::SolveJointVelocity(RevoluteJoint& j, const TimeStep& step) {
  Body& b1 = bodies[j.body_a];
  Body& b2 = bodies[j.body_b];
  const double r1x = j.r1.x, r1y = j.r1.y, r2x = j.r2.x, r2y = j.r2.y;
  // point constraint
  const double cdx = b2.v.x + (-b2.w * r2y) - b1.v.x - (-b1.w * r1y);
  const double cdy = b2.v.y + (b2.w * r2x) - b1.v.y - (b1.w * r1x);
  const double fx = -step.inv_dt * (j.pivot_mass.col1.x * cdx + j.pivot_mass.col2.x * cdy);
  const double fy = -step.inv_dt * (j.pivot_mass.col1.y * cdx + j.pivot_mass.col2.y * cdy);
  j.pivot_force.x += fx;
  j.pivot_force.y += fy;
  const double px = step.dt * fx, py = step.dt * fy;
  b1.v.x -= b1.inv_mass * px;
  b1.v.y -= b1.inv_mass * py;
  b1.w -= b1.inv_I * (r1x * py - r1y * px);
  b2.v.x += b2.inv_mass * px;
  b2.v.y += b2.inv_mass * py;
  b2.w += b2.inv_I * (r2x * py - r2y * px);
  // motor
  if (j.enable_motor && j.limit_state != kEqualLimits) {
    const double cdot = b2.w - b1.w - j.motor_speed;
    double force = -step.inv_dt * j.motor_mass * cdot;
    const double old = j.motor_force;
    j.motor_force = Clamp(j.motor_force + force, -j.max_motor_torque, j.max_motor_torque);
    force = j.motor_force - old;
    b1.w -= b1.inv_I * step.dt * force;
    b2.w += b2.inv_I * step.dt * force;
  }
  // limit
  if (j.enable_limit && j.limit_state != kInactiveLimit) {
    const double cdot = b2.w - b1.w;
    double force = -step.inv_dt * j.motor_mass * cdot;
    if (j.limit_state == kEqualLimits) {
      j.limit_force += force;
    } else if (j.limit_state == kAtLowerLimit) {
      const double old = j.limit_force;
      j.limit_force = Max(j.limit_force + force, 0.0);
      force = j.limit_force - old;
    } else if (j.limit_state == kAtUpperLimit) {
      const double old = j.limit_force;
      j.limit_force = Min(j.limit_force + force, 0.0);
      force = j.limit_force - old;
    }
    b1.w -= b1.inv_I * step.dt * force;
    b2.w += b2.inv_I * step.dt * force;
  }
}

bool World::SolveJointPosition(RevoluteJoint& j) {
  Body& b1 = bodies[j.body_a];
  Body& b2 = bodies[j.body_b];
  const Vec2 arm1 = Arm(Fresh(b1).R, j.local_anchor1), arm2 = Arm(Fresh(b2).R, j.local_anchor2);
  const double r1x = arm1.x, r1y = arm1.y, r2x = arm2.x, r2y = arm2.y;
  const double p1x = b1.c.x + r1x, p1y = b1.c.y + r1y;
  const double p2x = b2.c.x + r2x, p2y = b2.c.y + r2y;
  const double cx = p2x - p1x, cy = p2y - p1y;
  const double position_error = std::sqrt(cx * cx + cy * cy);
  const double im1 = b1.inv_mass, im2 = b2.inv_mass, ii1 = b1.inv_I, ii2 = b2.inv_I;
  const Mat22 K = PointK(im1, im2, ii1, ii2, r1x, r1y, r2x, r2y);
  const Vec2 imp = Solve22(K, -cx, -cy);
  b1.c.x -= b1.inv_mass * imp.x;
  b1.c.y -= b1.inv_mass * imp.y;
  b1.a -= b1.inv_I * (r1x * imp.y - r1y * imp.x);
  b2.c.x += b2.inv_mass * imp.x;
  b2.c.y += b2.inv_mass * imp.y;
  b2.a += b2.inv_I * (r2x * imp.y - r2y * imp.x);
  SynchronizeTransform(b1);
  SynchronizeTransform(b2);

  double angular_error = 0.0;
  if (j.enable_limit && j.limit_state != kInactiveLimit) {
    const double angle = b2.a - b1.a - j.reference_angle;
    double limit_impulse = 0.0;
    if (j.limit_state == kEqualLimits) {
      const double C = Clamp(angle, -kMaxAngularCorrection, kMaxAngularCorrection);
      limit_impulse = -j.motor_mass * C;
      angular_error = Abs(C);
    } else if (j.limit_state == kAtLowerLimit) {
      double C = angle - j.lower;
      angular_error = Max(0.0, -C);
      C = Clamp(C + kAngularSlop, -kMaxAngularCorrection, 0.0);
      limit_impulse = -j.motor_mass * C;
      const double old = j.limit_position_impulse;
      j.limit_position_impulse = Max(j.limit_position_impulse + limit_impulse, 0.0);
      limit_impulse = j.limit_position_impulse - old;
    } else if (j.limit_state == kAtUpperLimit) {
      double C = angle - j.upper;
      angular_error = Max(0.0, C);
      C = Clamp(C - kAngularSlop, 0.0, kMaxAngularCorrection);
      limit_impulse = -j.motor_mass * C;
      const double old = j.limit_position_impulse;
      j.limit_position_impulse = Min(j.limit_position_impulse + limit_impulse, 0.0);
      limit_impulse = j.limit_position_impulse - old;
    }
    b1.a -= b1.inv_I * limit_impulse;
    b2.a += b2.inv_I * limit_impulse;
    SynchronizeTransform(b1);
    SynchronizeTransform(b2);
  }
  return position_error <= kLinearSlop && angular_error <= kAngularSlop;
}

}  // namespace physics
}  // namespace qwop
