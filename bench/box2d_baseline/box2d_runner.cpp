// The QWOP runner (spec sections in brackets). See qwop_runner.h.
#include "box2d_runner.h"

#include <algorithm>
#include <cmath>
#include <new>

namespace qwop {

namespace {

// Fixture tags stored in b2FixtureUserData::pointer: which part a contact is.
constexpr uintptr_t kTagNone = 0;
constexpr uintptr_t kTagTrack = 1;
constexpr uintptr_t kTagBody0 = 16;  // kTagBody0 + body index

// A box fixture with `spec`'s size, material and filter, centred at `centre`
// in the body's frame.
void AddBox(b2Body* body, const BoxSpec& spec, b2Vec2 centre, uintptr_t tag) {
  b2PolygonShape shape;
  shape.SetAsBox(static_cast<float>(spec.half_w), static_cast<float>(spec.half_h), centre, 0.0f);
  b2FixtureDef fixture;
  fixture.shape = &shape;
  fixture.density = static_cast<float>(spec.density);
  fixture.friction = static_cast<float>(spec.friction);
  fixture.restitution = 0.0f;
  fixture.filter.categoryBits = spec.category;
  fixture.filter.maskBits = spec.mask;
  fixture.filter.groupIndex = 0;
  fixture.userData.pointer = tag;
  body->CreateFixture(&fixture);
}

// A body at `spec`'s pose with one box fixture centred on its origin.
b2Body* CreateBox(b2World* world, const BoxSpec& spec, b2BodyType type, bool awake, uintptr_t tag) {
  b2BodyDef def;
  def.type = type;
  def.position.Set(static_cast<float>(spec.x), static_cast<float>(spec.y));
  def.angle = static_cast<float>(spec.angle);
  def.awake = awake;
  b2Body* body = world->CreateBody(&def);
  AddBox(body, spec, b2Vec2(0.0f, 0.0f), tag);
  return body;
}

inline float Clip1(float v) { return v < -1.0f ? -1.0f : (v > 1.0f ? 1.0f : v); }

}  // namespace

// ---------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------

Runner::Runner(const RunnerTable* table, const Options* options)
    : table_(table), options_(options) {
  Reset();
}

void Runner::Reset() {
  const RunnerTable& t = *table_;
  const b2Vec2 gravity(static_cast<float>(t.gravity[0]), static_cast<float>(t.gravity[1]));
  if (world_) {
    // A brand-new world, built in the old one's memory: b2World holds its
    // 100 KiB stack allocator inline, and freeing and allocating that on
    // every reset, from whichever thread steps this runner, fragmented the
    // heap (RSS crept up ~1.6 MiB per million steps with 2 threads).
    world_->~b2World();
    new (world_.get()) b2World(gravity);
  } else {
    world_ = std::make_unique<b2World>(gravity);
  }
  world_->SetAllowSleeping(true);  // as the original [spec 1]
  world_->SetContactListener(this);
  // Box2D clears forces after each Step unless told not to; the head torque
  // is the only force the game applies, so not clearing = accumulating it.
  world_->SetAutoClearForces(!options_->head_torque_accumulates);

  // Creation order matters for bit-exact trajectories [spec 1]:
  // track -> hurdle (base, top, joint) -> 12 bodies -> 11 joints.
  {
    BoxSpec track{};
    track.x = 0.5 * (t.track_x_min + t.track_x_max);
    track.y = t.track_top_y + t.track_half_height;
    track.half_w = 0.5 * (t.track_x_max - t.track_x_min);
    track.half_h = t.track_half_height;
    track.density = t.track_density;
    track.friction = t.track_friction;
    track.category = t.track_category;
    track.mask = t.track_mask;
    CreateBox(world_.get(), track, b2_staticBody, true, kTagTrack);
  }
  hurdle_ = nullptr;
  if (options_->hurdle) {
    // One rigid body, base + top bar (see HURDLE_TOP_OFFSET in runner_table.py).
    // The game creates the hurdle asleep, but Box2D up to 2.3 (and so, we
    // take it, the original's 2.1a-style engine) wakes both bodies of a new
    // contact pair: the base's fattened AABB overlaps the track's, so the
    // hurdle wakes on frame 1 and drops the 0.068 wu onto the track. Box2D
    // 2.4 no longer wakes on AddPair and would leave it floating until
    // touched; creating it awake reproduces the 2.x behaviour. It then
    // settles and sleeps.
    hurdle_ = CreateBox(world_.get(), t.hurdle_base, b2_dynamicBody, true, kTagNone);
    AddBox(hurdle_, t.hurdle_top,
           b2Vec2(static_cast<float>(t.hurdle_top_offset[0]), static_cast<float>(t.hurdle_top_offset[1])), kTagNone);
  }
  for (int i = 0; i < kBodies; ++i) {
    bodies_[i] = CreateBox(world_.get(), t.bodies[i], b2_dynamicBody, true, kTagBody0 + i);
  }
  for (int j = 0; j < kJoints; ++j) {
    const JointSpec& s = t.joints[j];
    b2RevoluteJointDef jd;
    jd.bodyA = bodies_[s.body_a];
    jd.bodyB = bodies_[s.body_b];
    jd.localAnchorA.Set(static_cast<float>(s.local_a[0]), static_cast<float>(s.local_a[1]));
    jd.localAnchorB.Set(static_cast<float>(s.local_b[0]), static_cast<float>(s.local_b[1]));
    // Set explicitly, never derived from the pose [spec 4.1].
    jd.referenceAngle = static_cast<float>(s.reference_angle);
    jd.enableLimit = true;
    jd.lowerAngle = static_cast<float>(s.lower);
    jd.upperAngle = static_cast<float>(s.upper);
    jd.enableMotor = s.motor != 0;
    jd.maxMotorTorque = static_cast<float>(s.max_motor_torque);
    jd.motorSpeed = 0.0f;
    joints_[j] = static_cast<b2RevoluteJoint*>(world_->CreateJoint(&jd));
  }

  fallen_ = jumped_ = landed_ = ended_ = paused_ = false;
  clock_frames_ = 0;
  steps_ = 0;
  prev_time_ = 0.0;
  prev_distance_ = options_->first_step_from_origin ? 0.0 : distance_m();
}

double Runner::distance_m() const {
  return static_cast<double>(bodies_[table_->torso]->GetPosition().x) / table_->wu_per_metre;
}

void Runner::ApplyKeys(int keys) {
  const RunnerTable& t = *table_;
  // Thigh axis: Q wins over W; with neither the motors brake (speed 0) [spec 5.1].
  const double* thigh = nullptr;
  if (keys & kKeyQ) thigh = t.thigh_speeds_q;
  else if (keys & kKeyW) thigh = t.thigh_speeds_w;
  for (int k = 0; k < 4; ++k) {
    joints_[t.thigh_joints[k]]->SetMotorSpeed(thigh ? static_cast<float>(thigh[k]) : 0.0f);
  }
  // Calf axis: O wins over P; O/P also rewrite the hip limits, which then
  // keep their last value when released [spec 5.2].
  const double* calf = nullptr;
  const double *left_limits = nullptr, *right_limits = nullptr;
  if (keys & kKeyO) {
    calf = t.calf_speeds_o;
    left_limits = t.left_hip_limits_o;
    right_limits = t.right_hip_limits_o;
  } else if (keys & kKeyP) {
    calf = t.calf_speeds_p;
    left_limits = t.left_hip_limits_p;
    right_limits = t.right_hip_limits_p;
  }
  for (int k = 0; k < 2; ++k) {
    joints_[t.calf_joints[k]]->SetMotorSpeed(calf ? static_cast<float>(calf[k]) : 0.0f);
  }
  if (left_limits) {
    joints_[t.left_hip]->SetLimits(static_cast<float>(left_limits[0]), static_cast<float>(left_limits[1]));
    joints_[t.right_hip]->SetLimits(static_cast<float>(right_limits[0]), static_cast<float>(right_limits[1]));
  }
}

// One game frame, in the original's update order [spec 6.1].
void Runner::Frame(int keys) {
  const RunnerTable& t = *table_;
  if (!ended_) ++clock_frames_;
  if (!fallen_) {
    b2Body* head = bodies_[t.head];
    head->ApplyTorque(static_cast<float>(t.head_torque_gain * (head->GetAngle() + t.head_torque_offset)), true);
  }
  ApplyKeys(keys);
  world_->Step(static_cast<float>(t.time_step), t.velocity_iterations, t.position_iterations);
  // BeginContact (called inside Step) has set fallen_/jumped_/landed_.
  if (landed_ && !ended_) {
    ended_ = true;
    paused_ = true;  // the game stops the physics on landing
  } else if (fallen_ && !ended_) {
    ended_ = true;  // the ragdoll keeps collapsing, the clock stops
  }
}

void Runner::BeginContact(b2Contact* contact) {
  const uintptr_t tag_a = contact->GetFixtureA()->GetUserData().pointer;
  const uintptr_t tag_b = contact->GetFixtureB()->GetUserData().pointer;
  // Both orders are tested; Box2D gives (track, part) in practice [spec 6.5].
  uintptr_t part_tag;
  if (tag_a == kTagTrack && tag_b >= kTagBody0) part_tag = tag_b;
  else if (tag_b == kTagTrack && tag_a >= kTagBody0) part_tag = tag_a;
  else return;
  const int part = static_cast<int>(part_tag - kTagBody0);
  const RunnerTable& t = *table_;

  if (t.is_fall_part[part]) {
    if (!fallen_) {
      fallen_ = true;
      // A fall after the jump trigger also counts as the (failed) landing.
      if (jumped_ && !landed_) landed_ = true;
    }
    return;
  }
  if (t.is_foot[part] && !fallen_) {
    b2WorldManifold manifold;
    contact->GetWorldManifold(&manifold);
    const int count = contact->GetManifold()->pointCount;
    // The original scans both manifold slots; an unused one reads (0, 0).
    float max_x = 0.0f;
    for (int k = 0; k < b2_maxManifoldPoints; ++k) {
      const float x = k < count ? manifold.points[k].x : 0.0f;
      if (k == 0 || x > max_x) max_x = x;
    }
    if (!jumped_ && max_x > t.jump_x) jumped_ = true;
    if (jumped_ && !landed_ && max_x > t.finish_x) landed_ = true;
  }
}

void Runner::Step(int keys, float* reward, bool* terminated, bool* truncated, bool* success) {
  const Options& o = *options_;
  const RunnerTable& t = *table_;
  for (int f = 0; f < o.frames_per_step && !paused_; ++f) Frame(keys);
  ++steps_;

  // qwop-gym reward [spec 7.3]: d in metres, time = clock / 10.
  const double d = distance_m();
  const double time = game_time() / 10.0;
  const double dt = time - prev_time_;
  // dt is never 0 here (an env that ended is reset before it steps again),
  // but guard it: no velocity can be measured over no time.
  const double v = dt > 0.0 ? (d - prev_distance_) / dt : 0.0;
  double r = o.speed_rew_mult * v - dt * o.time_cost_mult / o.frames_per_step;
  prev_distance_ = d;
  prev_time_ = time;

  // Termination [spec 7.5]. The -10 m / 105 m torso bounds end the episode
  // under both success rules: without them a runner that leaves the track (or
  // slides a foot past 100 m without a fresh touch) would never end.
  const bool term = ended_ || d < t.bound_min_m || d > t.bound_max_m;
  bool ok = false;
  if (term) {
    ok = o.success_rule_game ? (landed_ && !fallen_) : (d > t.success_distance_m);
    r += ok ? o.success_reward : -o.failure_cost;
  }
  *reward = static_cast<float>(r);
  *terminated = term;
  *truncated = !term && o.max_episode_steps > 0 && steps_ >= o.max_episode_steps;
  *success = ok;
}

void Runner::WriteObs(float* row) const {
  const RunnerTable& t = *table_;
  for (int k = 0; k < kBodies; ++k) {
    const b2Body* b = bodies_[t.obs_body[k]];
    const b2Vec2& p = b->GetPosition();
    const b2Vec2& v = b->GetLinearVelocity();
    const float raw[kObsPerBody] = {p.x, p.y, b->GetAngle(), v.x, v.y};
    for (int q = 0; q < kObsPerBody; ++q) {
      row[k * kObsPerBody + q] = Clip1((raw[q] - t.obs_centre[q]) / t.obs_half_range[q]);
    }
  }
}

void Runner::WriteJoints(float* angle, float* limits) const {
  for (int j = 0; j < kJoints; ++j) {
    angle[j] = joints_[j]->GetJointAngle();
    limits[2 * j] = joints_[j]->GetLowerLimit();
    limits[2 * j + 1] = joints_[j]->GetUpperLimit();
  }
}

void Runner::WritePose(float* pose) const {
  for (int i = 0; i < kBodies; ++i) {
    pose[3 * i] = bodies_[i]->GetPosition().x;
    pose[3 * i + 1] = bodies_[i]->GetPosition().y;
    pose[3 * i + 2] = bodies_[i]->GetAngle();
  }
}

void Runner::WriteHurdlePose(float* pose) const {
  if (!hurdle_) {
    std::fill(pose, pose + 6, NAN);
    return;
  }
  const b2Vec2 base = hurdle_->GetPosition();
  const b2Vec2 top = hurdle_->GetWorldPoint(b2Vec2(static_cast<float>(table_->hurdle_top_offset[0]),
                                                   static_cast<float>(table_->hurdle_top_offset[1])));
  const float angle = hurdle_->GetAngle();
  const float values[6] = {base.x, base.y, angle, top.x, top.y, angle};
  std::copy(values, values + 6, pose);
}

// ---------------------------------------------------------------------------
// ThreadPool
// ---------------------------------------------------------------------------

namespace {
// About 50 microseconds of polling before a thread goes to sleep.
constexpr int kSpinIterations = 4000;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
  for (int w = 1; w < num_threads_; ++w) workers_.emplace_back(&ThreadPool::WorkerLoop, this, w);
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  start_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

static inline void Share(int n, int parts, int k, int* begin, int* end) {
  *begin = static_cast<int>(static_cast<int64_t>(n) * k / parts);
  *end = static_cast<int>(static_cast<int64_t>(n) * (k + 1) / parts);
}

void ThreadPool::ParallelFor(int n, const std::function<void(int, int)>& fn) {
  if (std::min(num_threads_, n) <= 1) {
    fn(0, n);
    return;
  }
  job_ = &fn;
  job_n_ = n;
  pending_.store(num_threads_ - 1, std::memory_order_relaxed);
  {
    // Under the mutex, so that a worker about to sleep cannot miss it.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_cv_.notify_all();
  int begin, end;
  Share(n, num_threads_, 0, &begin, &end);
  fn(begin, end);
  for (int spin = 0; spin < kSpinIterations && pending_.load(std::memory_order_acquire) != 0; ++spin) {
    CpuRelax();
  }
  if (pending_.load(std::memory_order_acquire) != 0) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
  }
  job_ = nullptr;
}

void ThreadPool::WorkerLoop(int worker) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t now = generation_.load(std::memory_order_acquire);
    for (int spin = 0; spin < kSpinIterations && now == seen && !stopping_.load(); ++spin) {
      CpuRelax();
      now = generation_.load(std::memory_order_acquire);
    }
    if (now == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      start_cv_.wait(lock, [&] {
        return stopping_.load() || generation_.load(std::memory_order_acquire) != seen;
      });
      now = generation_.load(std::memory_order_acquire);
    }
    if (stopping_.load()) return;
    seen = now;
    int begin, end;
    Share(job_n_, num_threads_, worker, &begin, &end);
    if (begin < end) (*job_)(begin, end);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);  // pairs with the caller's wait
      done_cv_.notify_one();
    }
  }
}

// ---------------------------------------------------------------------------
// Batch
// ---------------------------------------------------------------------------

Batch::Batch(const RunnerTable& table, const Options& options, int n_envs, int num_threads)
    : table_(table), options_(options), pool_(num_threads) {
  runners_.reserve(n_envs);
  // Runners keep pointers to table_/options_: Batch itself must not move.
  for (int i = 0; i < n_envs; ++i) runners_.push_back(std::make_unique<Runner>(&table_, &options_));
}

void Batch::StepOne(int i, int action) {
  Runner& runner = *runners_[i];
  bool term = false, trunc = false, ok = false;
  runner.Step(options_.action_keys[action], &out_.reward[i], &term, &trunc, &ok);
  out_.terminated[i] = term;
  out_.truncated[i] = trunc;
  out_.is_success[i] = ok;
  out_.distance[i] = runner.distance_m();
  out_.game_time[i] = runner.game_time();
  out_.episode_step[i] = runner.episode_step();
  runner.WriteJoints(&out_.joint_angle[i * kJoints], &out_.joint_limits[i * kJoints * 2]);
  runner.WritePose(&out_.body_pose[i * kBodies * 3]);
  float* obs = &out_.obs[i * kObs];
  runner.WriteObs(obs);
  if ((term || trunc) && options_.auto_reset) {
    std::copy(obs, obs + kObs, &out_.terminal_obs[i * kObs]);
    runner.Reset();
    runner.WriteObs(obs);
  }
}

void Batch::Step(const int64_t* actions) {
  pool_.ParallelFor(n_envs(), [&](int begin, int end) {
    for (int i = begin; i < end; ++i) StepOne(i, static_cast<int>(actions[i]));
  });
}

void Batch::Reset(const uint8_t* mask) {
  pool_.ParallelFor(n_envs(), [&](int begin, int end) {
    for (int i = begin; i < end; ++i) {
      if (mask && !mask[i]) continue;
      Runner& runner = *runners_[i];
      runner.Reset();
      runner.WriteObs(&out_.obs[i * kObs]);
      out_.reward[i] = 0.0f;
      out_.terminated[i] = out_.truncated[i] = out_.is_success[i] = 0;
      out_.distance[i] = runner.distance_m();
      out_.game_time[i] = 0.0;
      out_.episode_step[i] = 0;
      runner.WriteJoints(&out_.joint_angle[i * kJoints], &out_.joint_limits[i * kJoints * 2]);
      runner.WritePose(&out_.body_pose[i * kBodies * 3]);
    }
  });
}

void Batch::RunRandom(int n_steps, uint64_t seed) {
  const int n = n_envs();
  std::vector<int64_t> actions(n);
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int s = 0; s < n_steps; ++s) {
    for (int i = 0; i < n; ++i) {  // xorshift64*: cheap, good enough for keys
      state ^= state >> 12;
      state ^= state << 25;
      state ^= state >> 27;
      actions[i] = static_cast<int64_t>(((state * 0x2545F4914F6CDD1Dull) >> 33) % options_.n_actions);
    }
    Step(actions.data());
  }
}

// ---------------------------------------------------------------------------

void InitBox2DStatics() {
  // Two overlapping boxes make the first contact, which runs
  // b2Contact::InitializeRegisters on this (the main) thread.
  b2World world(b2Vec2(0.0f, 10.0f));
  b2PolygonShape shape;
  shape.SetAsBox(1.0f, 1.0f);
  for (int i = 0; i < 2; ++i) {
    b2BodyDef def;
    def.type = b2_dynamicBody;
    def.position.Set(0.5f * i, 0.0f);
    world.CreateBody(&def)->CreateFixture(&shape, 1.0f);
  }
  world.Step(0.04f, 5, 5);
}

}  // namespace qwop
