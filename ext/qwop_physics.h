// The real QWOP game's physics: a Box2D 2.1a-style world (Box2DFlash /
// the Haxe port the game ships) reduced to what QWOP uses -- box fixtures,
// revolute joints, static and dynamic bodies, no continuous collision --
// doing the game's arithmetic in the game's order, in double precision.
//
// The algorithm is Erin Catto's Box2D as ported to ActionScript
// (Box2DFlash 2.1a) and to Haxe (openfl/box2d 1.2.3), zlib licence; the
// revolute joint is Box2DFlash 2.0.1's force-based formulation, which the
// game uses. This file is our own code written from reading those sources;
// ../shared/oracle/PROVENANCE.md maps every piece to its origin. What matters
// for bit-identical trajectories, and so is kept exactly:
//   * every floating-point expression is evaluated in the source's order
//     (compile with -ffp-contract=off, no fast-math);
//   * sin/cos are fdlibm's (fdlibm_trig.h), as the game's JavaScript engine's;
//   * list orders: bodies, contacts and joints are prepended (newest first),
//     and the dynamic-tree broadphase reports pairs unsorted, so contact
//     creation order, island order and solver order follow the game's.
// What is left out: shapes other than boxes, joints other than revolute,
// TOI, sensors, controllers, listeners other than begin-contact.
#pragma once

#include <cstdint>

namespace qwop {
namespace physics {

// Box2DFlash 2.1a's b2Settings, as the game has them (b2_contactBaumgarte
// is the game's own 1, not Box2D's 0.2).
namespace settings {
constexpr double kPi = 3.141592653589793;
constexpr double kLinearSlop = 0.005;
constexpr double kPolygonRadius = kLinearSlop;  // the Flash port's value
constexpr double kAngularSlop = 0.011111111111111112 * kPi;
constexpr double kMaxAngularCorrection = 0.044444444444444446 * kPi;
constexpr double kMaxLinearCorrection = 0.2;
constexpr double kVelocityThreshold = 1.0;
constexpr double kMaxTranslation = 2.0;
constexpr double kMaxTranslationSquared = 4.0;
constexpr double kMaxRotation = 0.5 * kPi;
constexpr double kMaxRotationSquared = kMaxRotation * kMaxRotation;
constexpr double kContactBaumgarte = 1.0;
constexpr double kTimeToSleep = 0.5;
constexpr double kLinearSleepTolerance = 0.01;
constexpr double kAngularSleepTolerance = kAngularSlop;
constexpr double kAabbExtension = 0.1;
constexpr double kAabbMultiplier = 2.0;
}  // namespace settings

// Fixed capacities: the QWOP world has 19 bodies (ground, 3 track segments,
// the block, 2 hurdle parts, 12 runner parts) and 12 joints.
constexpr int kMaxBodies = 24;
constexpr int kMaxJoints = 16;
constexpr int kMaxContacts = 96;  // at most 12 parts x 5 static/hurdle boxes + 8 hurdle pairs = 68 can exist
constexpr int kMaxNodes = 2 * kMaxBodies;
constexpr int kMaxMoves = 64;
constexpr int kMaxPairs = 1024;

struct Vec2 {
  double x, y;
};

// Box2D's column-major 2x2 matrix; Set() is b2Mat22.set(angle).
struct Mat22 {
  Vec2 col1, col2;
  void Set(double angle);
};

struct Transform {
  Vec2 position;
  Mat22 R;
};

struct AABB {
  Vec2 lower, upper;
};

enum BodyType { kStaticBody = 0, kDynamicBody = 2 };

// b2Body's flag bits (the values the game's records show).
enum BodyFlags : uint32_t { kIslandFlag = 1, kAwakeFlag = 2, kAllowSleepFlag = 4, kActiveFlag = 32 };

// One box fixture (every QWOP body has at most one), stored on its body.
struct Box {
  double hx = 0, hy = 0;  // half-extents
  double density = 0, friction = 0, restitution = 0;
  uint16_t category = 1, mask = 0xFFFF;
};

struct Body {
  int type = kStaticBody;
  uint32_t flags = 0;
  Transform xf{};
  // Sweep: every QWOP box is centred on its body, so the local centre is 0.
  Vec2 c0{}, c{};
  double a0 = 0, a = 0;
  Mat22 R0{};  // R at a0 (b2Mat22.set(a0) is recomputed by the game; same bits)
  double r_angle = 0;  // the angle xf.R was computed from (a cache of sin/cos)
  Vec2 v{};
  double w = 0;
  Vec2 force{};
  double torque = 0;
  double sleep_time = 0;
  double mass = 0, inv_mass = 0, I = 0, inv_I = 0;
  // list links (indices; -1 = none)
  int prev = -1, next = -1;
  int contact_list = -1;  // contact edge id (2*contact + side)
  int joint_list = -1;    // joint edge id (2*joint + side)
  // the fixture
  bool has_fixture = false;
  Box box{};
  Vec2 vertices[4]{}, normals[4]{};  // the box as b2PolygonShape.setAsBox lays it out
  int proxy = -1;  // dynamic-tree node id
  AABB aabb{};     // swept tight box from the last synchronize
  int tag = 0;     // the owner's label (the runner's part index, track, ...)

  bool awake() const { return (flags & kAwakeFlag) != 0; }
};

struct ManifoldPoint {
  Vec2 local_point;
  double normal_impulse, tangent_impulse;
  uint32_t key;
};

enum ManifoldType { kCircles = 0, kFaceA = 1, kFaceB = 2 };

struct Manifold {
  ManifoldPoint points[2];
  Vec2 local_plane_normal;
  Vec2 local_point;
  int type;
  int point_count;
};

struct WorldManifold {
  Vec2 normal;
  Vec2 points[2];
};

// b2Contact's flag bits used here (sensor, continuous and TOI are not).
enum ContactFlags : uint32_t {
  kContactIslandFlag = 0x04, kContactTouchingFlag = 0x10, kContactEnabledFlag = 0x20, kContactFilterFlag = 0x40
};

struct Contact {
  uint32_t flags = 0;
  int prev = -1, next = -1;  // world contact list
  int body_a = -1, body_b = -1;  // fixture A's and B's bodies
  // edges: node A (lives in body A's list, other = B), node B
  int edge_prev[2] = {-1, -1}, edge_next[2] = {-1, -1};
  Manifold manifolds[2];
  int current = 0;  // manifolds[current] is m_manifold, the other m_oldManifold
  int pool_next = -1;

  Manifold& manifold() { return manifolds[current]; }
  const Manifold& manifold() const { return manifolds[current]; }
  bool touching() const { return (flags & kContactTouchingFlag) != 0; }
};

enum LimitState { kInactiveLimit = 0, kAtLowerLimit = 1, kAtUpperLimit = 2, kEqualLimits = 3 };

// Box2DFlash 2.0.1's force-based revolute joint behind the 2.1a API.
struct RevoluteJoint {
  int body_a = -1, body_b = -1;
  int prev = -1, next = -1;  // world joint list
  int edge_prev[2] = {-1, -1}, edge_next[2] = {-1, -1};
  bool island = false;
  bool collide_connected = false;
  Vec2 local_anchor1{}, local_anchor2{};
  Vec2 r1{}, r2{};  // anchors rotated to world, from InitJoint: the velocity phase
                    // does not turn bodies, so every velocity iteration reuses them
  double reference_angle = 0;
  Vec2 pivot_force{};
  double motor_force = 0, limit_force = 0, limit_position_impulse = 0;
  Mat22 pivot_mass{};
  double motor_mass = 0;
  bool enable_motor = false, enable_limit = false;
  double max_motor_torque = 0, motor_speed = 0;
  double lower = 0, upper = 0;
  int limit_state = kInactiveLimit;  // never assigned by the game: behaves as 0

  double JointAngle(const Body* bodies) const {
    return bodies[body_b].a - bodies[body_a].a - reference_angle;
  }
  // InitVelocityConstraints' bookkeeping before any arithmetic on the bodies:
  // a disabled motor's force, the limit state from the current angle (and the
  // limit force it keeps or drops), the position impulse. Shared by
  // World::InitJoint and the lockstep solver.
  void BeginStep(const Body* bodies) {
    if (!enable_motor) motor_force = 0.0;
    if (enable_limit) {
      const double angle = JointAngle(bodies);
      const double range = upper - lower;
      if ((range > 0.0 ? range : -range) < 2.0 * settings::kAngularSlop) {
        limit_state = kEqualLimits;
      } else if (angle <= lower) {
        if (limit_state != kAtLowerLimit) limit_force = 0.0;
        limit_state = kAtLowerLimit;
      } else if (angle >= upper) {
        if (limit_state != kAtUpperLimit) limit_force = 0.0;
        limit_state = kAtUpperLimit;
      } else {
        limit_state = kInactiveLimit;
        limit_force = 0.0;
      }
    } else {
      limit_force = 0.0;
    }
    limit_position_impulse = 0.0;
  }
};

struct TreeNode {
  AABB aabb;
  int parent, child1, child2;
  int body;  // leaf: owning body; internal: -1
  // The collision filters of the leaves below, OR-ed, and whether one of them
  // is dynamic: a query skips a subtree none of whose leaves it could pair
  // with (those pairs AddPair would refuse; the pairs found are the same).
  uint16_t category, mask;
  bool dynamic;
  bool leaf() const { return child1 < 0; }
};

struct TimeStep {
  double dt, inv_dt, dt_ratio;
  int velocity_iterations, position_iterations;
  bool warm_starting;
};

struct ContactConstraintPoint {
  Vec2 local_point;
  Vec2 rA, rB;
  double normal_impulse, tangent_impulse;
  double normal_mass, tangent_mass, equalized_mass;
  double velocity_bias;
};

struct ContactConstraint {
  ContactConstraintPoint points[2];
  Vec2 local_plane_normal, local_point, normal;
  Mat22 normal_mass, K;
  int body_a, body_b;
  int contact;
  int type;
  double radius, friction, restitution;
  int point_count;
};

// Called from inside Step when a contact starts touching (the game's
// beginContact runs there, with the positions of the previous step).
using BeginContactFn = void (*)(void* user, const class World& world, int contact);

class World {
 public:
  World() = default;
  World(const World&) = delete;  // the island pointers point into the world itself
  World& operator=(const World&) = delete;

  // A world with gravity and its ground body (as b2World's constructor).
  void Init(Vec2 gravity, BeginContactFn begin_contact, void* user);

  int CreateBody(int type, Vec2 position, double angle);
  void CreateFixture(int body, const Box& box, int tag);
  int CreateJoint(int body_a, int body_b, Vec2 local_anchor_a, Vec2 local_anchor_b,
                  double reference_angle, bool enable_limit, double lower, double upper,
                  bool enable_motor, double max_motor_torque, double motor_speed);
  void SetPositionAndAngle(int body, Vec2 position, double angle);
  void SetAwake(int body, bool flag);
  void ApplyTorque(int body, double torque);

  void Step(double dt, int velocity_iterations, int position_iterations);

  // Step in three parts, so that a batch can solve the runner islands of
  // several worlds side by side (qwop_lockstep.h). BeginStep collides and
  // builds every island (their solves are independent of each other: they
  // share no dynamic body and no contact), then each island is solved once,
  // in any order, then EndStep. Step() is exactly these three.
  // BeginStep returns false when there is nothing to solve (dt 0).
  bool BeginStep(double dt, int velocity_iterations, int position_iterations);
  int island_count() const { return island_count_; }
  void SolveIslandAt(int k);
  void EndStep();

  // b2Contact.getWorldManifold with the bodies' current transforms.
  void GetWorldManifold(int contact, WorldManifold* out);

  Body bodies[kMaxBodies];
  int body_count = 0;
  RevoluteJoint joints[kMaxJoints];
  int joint_count = 0;
  Contact contacts[kMaxContacts];

  // Test and tool access.
  int contact_list() const { return contact_list_; }
  int body_list() const { return body_list_; }
  int touching_count() const;
  // The last island solved: bodies, contacts and joints in solver order.
  int island_body(int i) const { return island_bodies_[i]; }
  int island_contact(int i) const { return island_contacts_[i]; }
  int island_joint(int i) const { return island_joints_[i]; }
  int island_body_count() const { return island_body_count_; }
  int island_contact_count() const { return island_contact_count_; }
  int island_joint_count() const { return island_joint_count_; }

 private:
  friend struct Lockstep;
  // One island of the step: its ranges in the island stores.
  struct IslandRange {
    int body_begin, body_count, contact_begin, contact_count, joint_begin, joint_count;
  };
  void BuildIslands();
  void SelectIsland(int k);
  // SolveIsland's phases, which Lockstep interleaves across worlds.
  void IntegrateVelocities(const TimeStep& step);
  void IntegratePositions(const TimeStep& step);
  void SleepIsland(const TimeStep& step);

  // broadphase (b2DynamicTree + b2DynamicTreeBroadPhase, no rebalancing)
  int AllocateNode();
  void FreeNode(int id);
  void InsertLeaf(int leaf);
  void UpdateFilters(int node);  // a node's and its ancestors' filter unions
  void RemoveLeaf(int leaf);
  int CreateProxy(const AABB& aabb, int body);
  void MoveProxy(int proxy, const AABB& aabb, Vec2 displacement);
  void BufferMove(int proxy);
  void UpdatePairs();
  // contact manager
  void FindNewContacts() { UpdatePairs(); }
  void AddPair(int body_a, int body_b);
  bool ShouldCollide(int body_b, int body_a) const;
  // The pure part of AddPair's refusals: body types and collision filters.
  bool MayCollide(int body_a, int body_b) const;
  void DestroyContact(int c);
  void Collide();
  void UpdateContact(int c);
  void Evaluate(int c);
  // bodies
  void SynchronizeFixture(int body, const Transform& xf1, const Transform& xf2);
  void SynchronizeFixtures(int body);
  void SynchronizeTransform(Body& b);
  // The body's transform with R = b2Mat22.set(a). The game recomputes R after
  // every change of the angle; here R is computed when it is next read, which
  // gives the same bits and skips the sin/cos of angles nobody reads (e.g. a
  // joint's point correction that its limit correction overwrites).
  static const Transform& Fresh(Body& b);
  // solver
  void SolveIsland(const TimeStep& step);
  void InitContactSolver(const TimeStep& step);
  void WarmStartContacts(const TimeStep& step);
  void SolveContactVelocities();
  void FinalizeContacts();
  bool SolveContactPositions(double baumgarte);
  void InitJoint(RevoluteJoint& j, const TimeStep& step);
  void SolveJointVelocity(RevoluteJoint& j, const TimeStep& step);
  bool SolveJointPosition(RevoluteJoint& j);

  Vec2 gravity_{};
  BeginContactFn begin_contact_ = nullptr;
  void* user_ = nullptr;
  bool new_fixture_ = false;
  bool locked_ = false;
  double inv_dt0_ = 0;
  int body_list_ = -1, joint_list_ = -1, contact_list_ = -1;
  int contact_pool_ = -1;  // LIFO free list of contacts
  int contacts_used_ = 0;  // high-water mark of contacts[]

  TreeNode nodes_[kMaxNodes];
  int next_node_id_ = 0, root_ = -1, free_node_ = -1;
  int move_buffer_[kMaxMoves];
  int move_count_ = 0;
  int pair_a_[kMaxPairs], pair_b_[kMaxPairs];

  // islands of the current step; a static body can be in several of them
  TimeStep step_{};
  IslandRange islands_[kMaxBodies];
  int island_count_ = 0;
  int island_body_store_[kMaxBodies + kMaxContacts];
  int island_contact_store_[kMaxContacts];
  int island_joint_store_[kMaxJoints];
  // the selected island (SelectIsland): views into the stores
  int* island_bodies_ = island_body_store_;
  int* island_contacts_ = island_contact_store_;
  int* island_joints_ = island_joint_store_;
  int island_body_count_ = 0, island_contact_count_ = 0, island_joint_count_ = 0;
  ContactConstraint constraints_[kMaxContacts];
  int stack_[kMaxBodies];
};

}  // namespace physics
}  // namespace qwop
