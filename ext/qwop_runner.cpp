// The QWOP game on its own physics. Sections [F.n] refer to
// ../shared/oracle/README.md, the facts of the real game. See qwop_runner.h.
#include "qwop_runner.h"

#include "qwop_lockstep.h"

#include <algorithm>
#include <cmath>

#include <unistd.h>

namespace qwop {

using physics::Body;
using physics::Vec2;

namespace {

// Body tags: what a contact's bodies are, for the game's beginContact.
constexpr int kTagNone = 0;  // ground, the block (userData undefined)
constexpr int kTagTrack = 1;
constexpr int kTagHurdle = 2;
constexpr int kTagPart0 = 16;  // kTagPart0 + runner part index

inline double Clip1(double v) { return v < -1.0 ? -1.0 : (v > 1.0 ? 1.0 : v); }

inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t NextRandom(uint64_t* state) {  // xorshift64*
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

template <typename T> constexpr char KindOf();
template <> constexpr char KindOf<float>() { return 'f'; }
template <> constexpr char KindOf<double>() { return 'd'; }
template <> constexpr char KindOf<uint8_t>() { return 'b'; }
template <> constexpr char KindOf<int32_t>() { return 'i'; }

}  // namespace

#define QWOP_BUFFER_SPEC(name, type, d0, d1) {#name, KindOf<type>(), d0, d1},
const BufferSpec kBufferSpecs[] = {QWOP_BUFFERS(QWOP_BUFFER_SPEC)};
#undef QWOP_BUFFER_SPEC
const int kNumBuffers = sizeof(kBufferSpecs) / sizeof(kBufferSpecs[0]);

void SetBuffer(Outputs* out, int index, void* data) {
  int k = 0;
#define QWOP_SET_BUFFER(name, type, d0, d1) \
  if (k++ == index) out->name = static_cast<type*>(data);
  QWOP_BUFFERS(QWOP_SET_BUFFER)
#undef QWOP_SET_BUFFER
}

// ---------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------

Runner::Runner(const RunnerTable* table, const Options* options) : table_(table), options_(options) {
  Seed(0);
  Reset();
}

void Runner::Seed(uint64_t seed) {
  rng_ = SplitMix64(seed);
  if (rng_ == 0) rng_ = 1;  // xorshift's one fixed point
}

// A body with one box: "placed" bodies are created at (0, 0) and then moved
// with setPosition and setAngle (each a setPositionAndAngle that updates the
// broadphase and looks for new contacts), as the game's sprites do [F14].
int Runner::AddBox(const BoxSpec& s, int type, bool placed, int tag) {
  physics::Box box;
  box.hx = s.half_w;
  box.hy = s.half_h;
  box.density = s.density;
  box.friction = s.friction;
  box.restitution = 0.0;
  box.category = s.category;
  box.mask = s.mask;
  const int b = world_.CreateBody(type, placed ? Vec2{0.0, 0.0} : Vec2{s.x, s.y}, placed ? 0.0 : s.angle);
  world_.CreateFixture(b, box, tag);
  if (placed) {
    world_.SetAwake(b, true);
    world_.SetPositionAndAngle(b, {s.x, s.y}, 0.0);
    world_.SetPositionAndAngle(b, {s.x, s.y}, s.angle);
  }
  return b;
}

void Runner::Reset() {
  const RunnerTable& t = *table_;
  world_.Init({t.gravity[0], t.gravity[1]}, &Runner::OnBeginContact, this);

  // Creation order is the game's [F14]: track x3, block, hurdle, runner.
  for (int i = 0; i < kTrackSegments; ++i) {
    BoxSpec seg = t.track;
    seg.x = i * t.track_spacing;
    track_[i] = AddBox(seg, physics::kStaticBody, true, kTagTrack);
  }
  AddBox(t.block, physics::kStaticBody, true, kTagNone);
  hurdle_base_ = hurdle_top_ = -1;
  if (options_->hurdle) {
    // Both parts are created asleep, floating 0.068 above the track until a
    // touching contact wakes them [F12].
    hurdle_base_ = AddBox(t.hurdle_base, physics::kDynamicBody, false, kTagHurdle);
    world_.SetAwake(hurdle_base_, false);
    hurdle_top_ = AddBox(t.hurdle_top, physics::kDynamicBody, false, kTagHurdle);
    world_.SetAwake(hurdle_top_, false);
    const JointSpec& h = t.hurdle_joint;
    world_.CreateJoint(hurdle_top_, hurdle_base_, {h.local_a[0], h.local_a[1]}, {h.local_b[0], h.local_b[1]},
                       h.reference_angle, h.enable_limit != 0, h.lower, h.upper, h.enable_motor != 0,
                       h.max_motor_torque, 0.0);
  }
  for (int i = 0; i < kBodies; ++i) body_[i] = AddBox(t.bodies[i], physics::kDynamicBody, true, kTagPart0 + i);
  for (int j = 0; j < kJoints; ++j) {
    const JointSpec& s = t.joints[j];
    joint_[j] = world_.CreateJoint(body_[s.body_a], body_[s.body_b], {s.local_a[0], s.local_a[1]},
                                   {s.local_b[0], s.local_b[1]}, s.reference_angle, s.enable_limit != 0,
                                   s.lower, s.upper, s.enable_motor != 0, s.max_motor_torque, 0.0);
  }
  for (int j = 0; j < kJoints; ++j) {
    if (!t.joints[j].keyed) continue;
    physics::RevoluteJoint& jt = world_.joints[joint_[j]];
    jt.motor_speed = 0.0;
    jt.enable_limit = true;
    jt.enable_motor = true;
  }

  fallen_ = jumped_ = landed_ = ended_ = paused_ = false;
  camera_x_ = t.camera_start_px;
  steps_ = 0;

  // The intro screen: the game updates without stepping until the click [F13].
  const Options& o = *options_;
  intro_frames_ = o.intro_frames_low;
  if (o.intro_frames_high > o.intro_frames_low) {
    const uint64_t span = static_cast<uint64_t>(o.intro_frames_high - o.intro_frames_low) + 1;
    intro_frames_ += static_cast<int>(((NextRandom(&rng_) >> 32) * span) >> 32);
  }
  for (int k = 0; k < intro_frames_; ++k) Frame(0, /*clicked=*/false);
  score_time_ = 0.0;  // the click resets the clock

  prev_time_ = 0.0;
  prev_distance_ = o.first_step_from_origin ? 0.0 : distance_m();
}

double Runner::distance_m() const { return body(table_->torso).c.x / table_->wu_per_metre; }

// Segment i sits at (floor(camera_x / 640) + i) * 32, moved only when that
// changes, from the previous frame's camera [F11].
void Runner::PlaceTrack() {
  const RunnerTable& t = *table_;
  const double k = std::floor(camera_x_ / t.segment_px);
  for (int i = 0; i < kTrackSegments; ++i) {
    const double x = (k + i) * t.track_spacing;
    if (x != world_.bodies[track_[i]].xf.position.x) world_.SetPositionAndAngle(track_[i], {x, t.track.y}, 0.0);
  }
}

void Runner::ApplyKeys(int keys) {
  const RunnerTable& t = *table_;
  // Thigh axis: Q wins over W; with neither the motors brake (speed 0) [F9].
  const double* thigh = nullptr;
  if (keys & kKeyQ) thigh = t.thigh_speeds_q;
  else if (keys & kKeyW) thigh = t.thigh_speeds_w;
  for (int k = 0; k < 4; ++k) world_.joints[joint_[t.thigh_joints[k]]].motor_speed = thigh ? thigh[k] : 0.0;
  // Calf axis: O wins over P; O/P also rewrite the hip limits, which then
  // keep their last value when released.
  const double* calf = nullptr;
  const double *left = nullptr, *right = nullptr;
  if (keys & kKeyO) {
    calf = t.calf_speeds_o, left = t.left_hip_limits_o, right = t.right_hip_limits_o;
  } else if (keys & kKeyP) {
    calf = t.calf_speeds_p, left = t.left_hip_limits_p, right = t.right_hip_limits_p;
  }
  for (int k = 0; k < 2; ++k) world_.joints[joint_[t.calf_joints[k]]].motor_speed = calf ? calf[k] : 0.0;
  if (left) {
    physics::RevoluteJoint& lh = world_.joints[joint_[t.left_hip]];
    physics::RevoluteJoint& rh = world_.joints[joint_[t.right_hip]];
    lh.lower = left[0], lh.upper = left[1];
    rh.lower = right[0], rh.upper = right[1];
  }
}

// endGame: the hips stop and lose their motors but keep their limits; knees
// and shoulders go limp [F9].
void Runner::EndGame() {
  const RunnerTable& t = *table_;
  ended_ = true;
  for (int j : {t.left_hip, t.right_hip}) {
    physics::RevoluteJoint& jt = world_.joints[joint_[j]];
    jt.motor_speed = 0.0;
    jt.enable_motor = false;
  }
  for (int j = 0; j < kJoints; ++j) {
    if (!t.game_end_free[j]) continue;
    physics::RevoluteJoint& jt = world_.joints[joint_[j]];
    jt.enable_limit = false;
    jt.enable_motor = false;
  }
}

// One game frame, in the game's update order [F8]. Before the click (the intro
// screen) the game runs the same update but neither steps nor moves the camera.
void Runner::Frame(int keys, bool clicked) {
  if (!FrameBegin(keys, clicked)) return;
  if (steps_physics()) world_.Step(table_->time_step, table_->velocity_iterations, table_->position_iterations);
  FrameEnd();
}

bool Runner::FrameBegin(int keys, bool clicked) {
  const RunnerTable& t = *table_;
  if (!paused_ && !ended_) score_time_ += t.clock_per_frame;
  PlaceTrack();
  const int head = body_[t.head];
  // The head stabiliser adds to a torque nothing clears: a running sum [F7].
  if (!fallen_) world_.ApplyTorque(head, t.head_torque_gain * (world_.bodies[head].a + t.head_torque_offset));
  ApplyKeys(keys);
  return clicked;
}

void Runner::FrameEnd() {
  const RunnerTable& t = *table_;
  const int head = body_[t.head];
  if (!options_->head_torque_accumulates) world_.bodies[head].torque = 0.0;  // not the game: a fresh torque
  const Body& torso = world_.bodies[body_[t.torso]];
  if (!(torso.c.y < t.camera_min_y) && !fallen_) camera_x_ = (torso.c.x + t.camera_offset_wu) * t.world_scale;
  if (landed_ && !ended_) {
    paused_ = true;  // physics stops from the next frame on
    EndGame();
  } else if (!landed_ && !ended_ && fallen_) {
    EndGame();  // the ragdoll keeps collapsing
  }
}

void Runner::OnBeginContact(void* self, const physics::World&, int contact) {
  static_cast<Runner*>(self)->BeginContact(contact);
}

// Main.beginContact [F10]: n is fixture B's body, r fixture A's. The track's
// proxies have the lowest ids, so the track is always A: only the left foot
// can trigger the jump and the landing.
void Runner::BeginContact(int contact) {
  const RunnerTable& t = *table_;
  const physics::Contact& c = world_.contacts[contact];
  const int n = world_.bodies[c.body_b].tag;
  const int r = world_.bodies[c.body_a].tag;
  const bool n_is_part = n >= kTagPart0, r_is_part = r >= kTagPart0;
  physics::WorldManifold wm;
  world_.GetWorldManifold(contact, &wm);
  // The largest x of both slots; an unused slot reads (0, 0).
  const double h = wm.points[0].x > wm.points[1].x ? wm.points[0].x : wm.points[1].x;
  if ((n_is_part && n - kTagPart0 == t.left_foot) || (r_is_part && r - kTagPart0 == t.right_foot)) {
    if (r == kTagTrack && !fallen_) {
      if (!jumped_ && h * t.world_scale > t.jump_px) jumped_ = true;
      if (jumped_ && !landed_ && h * t.world_scale > t.finish_px) landed_ = true;
    }
  } else if (n_is_part && t.is_fall_part[n - kTagPart0] && r == kTagTrack && !fallen_) {
    fallen_ = true;
    if (jumped_ && !landed_) landed_ = true;  // a fall after the jump line counts as the landing
  }
}

void Runner::Step(int keys, float* reward, bool* terminated, bool* truncated, bool* success) {
  // After a landing the game keeps updating (head torque, keys, track) but
  // no longer steps the physics; Frame() does the same.
  for (int f = 0; f < options_->frames_per_step; ++f) Frame(keys);
  StepResult(reward, terminated, truncated, success);
}

void Runner::StepResult(float* reward, bool* terminated, bool* truncated, bool* success) {
  const Options& o = *options_;
  const RunnerTable& t = *table_;
  ++steps_;

  // qwop-gym reward: d in metres, time = clock / 10.
  const double d = distance_m();
  const double time = game_time() / 10.0;
  const double dt = time - prev_time_;
  // dt is 0 only for a step taken after the game ended (the clock stops).
  const double v = dt > 0.0 ? (d - prev_distance_) / dt : 0.0;
  double r = o.speed_rew_mult * v - dt * o.time_cost_mult / o.frames_per_step;
  prev_distance_ = d;
  prev_time_ = time;

  // The -10 m / 105 m torso bounds end the episode under both success rules.
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
    const Body& b = body(t.obs_body[k]);
    const double raw[kObsPerBody] = {b.c.x, b.c.y, b.a, b.v.x, b.v.y};
    for (int q = 0; q < kObsPerBody; ++q) {
      row[k * kObsPerBody + q] = static_cast<float>(Clip1((raw[q] - t.obs_centre[q]) / t.obs_half_range[q]));
    }
  }
}

void Runner::WriteState(int i, const Outputs& out) const {
  out.distance[i] = distance_m();
  out.game_time[i] = game_time();
  out.episode_step[i] = episode_step();
  for (int j = 0; j < kJoints; ++j) {
    const physics::RevoluteJoint& jt = joint(j);
    out.joint_angle[i * kJoints + j] = static_cast<float>(joint_angle(j));
    out.joint_limits[(i * kJoints + j) * 2] = static_cast<float>(jt.lower);
    out.joint_limits[(i * kJoints + j) * 2 + 1] = static_cast<float>(jt.upper);
  }
  for (int k = 0; k < kBodies; ++k) {
    const Body& b = body(k);
    float* pose = &out.body_pose[(i * kBodies + k) * 3];
    pose[0] = static_cast<float>(b.c.x), pose[1] = static_cast<float>(b.c.y), pose[2] = static_cast<float>(b.a);
    double* s = &out.body_state[(i * kBodies + k) * kStatePerBody];
    s[0] = b.c.x, s[1] = b.c.y, s[2] = b.a, s[3] = b.v.x, s[4] = b.v.y, s[5] = b.w;
  }
  WriteObs(&out.obs[i * kObs]);
}

void Runner::WriteHurdlePose(double* pose) const {
  if (hurdle_base_ < 0) {
    std::fill(pose, pose + 6, NAN);
    return;
  }
  const Body& base = world_.bodies[hurdle_base_];
  const Body& top = world_.bodies[hurdle_top_];
  const double values[6] = {base.c.x, base.c.y, base.a, top.c.x, top.c.y, top.a};
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

ThreadPool::ThreadPool(int num_threads)
    : num_threads_(std::max(1, num_threads)), cursor_(new std::atomic<int>[num_threads_]) {
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

// Each thread starts on its own share (the same worlds at every call, so they
// stay in its core's cache), then helps with the others' grain by grain: a
// world's step costs more when it resets or has many contacts, and a plain
// static split left one thread waiting for the other. Which thread steps a
// world never changes its result.
void ThreadPool::RunChunks(int worker) {
  const int n = job_n_, share = job_share_, grain = job_grain_;
  for (int k = 0; k < num_threads_; ++k) {  // its own share first, then the others'
    const int s = (worker + k) % num_threads_;
    const int end = std::min(n, (s + 1) * share);
    for (;;) {
      const int begin = cursor_[s].fetch_add(grain, std::memory_order_relaxed);
      if (begin >= end) break;
      (*job_)(begin, std::min(end, begin + grain));
    }
  }
}

void ThreadPool::ParallelFor(int n, const std::function<void(int, int)>& fn, int grain) {
  if (std::min(num_threads_, n) <= 1) {
    fn(0, n);
    return;
  }
  job_ = &fn;
  job_n_ = n;
  job_share_ = (n + num_threads_ - 1) / num_threads_;
  job_grain_ = std::max(1, grain);
  for (int s = 0; s < num_threads_; ++s) cursor_[s].store(s * job_share_, std::memory_order_relaxed);
  pending_.store(num_threads_ - 1, std::memory_order_relaxed);
  {
    // Under the mutex, so that a worker about to sleep cannot miss it.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_cv_.notify_all();
  RunChunks(0);
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
    RunChunks(worker);
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
    : table_(table), options_(options), pool_(new ThreadPool(num_threads)), pool_pid_(getpid()) {
  runners_.reserve(n_envs);
  // Runners keep pointers to table_/options_: Batch itself must not move.
  for (int i = 0; i < n_envs; ++i) runners_.push_back(std::make_unique<Runner>(&table_, &options_));
}

ThreadPool& Batch::Pool() {
  const long pid = getpid();
  if (pid != pool_pid_) {
    const int n = pool_->size();
    (void)pool_.release();  // its threads exist only in the parent
    pool_.reset(new ThreadPool(n));
    pool_pid_ = pid;
  }
  return *pool_;
}

void Batch::Seed(const uint64_t* seeds) {
  for (int i = 0; i < n_envs(); ++i) runners_[i]->Seed(seeds[i]);
}

void Batch::StepOne(int i, int action) {
  Runner& runner = *runners_[i];
  bool term = false, trunc = false, ok = false;
  runner.Step(options_.action_keys[action], &out_.reward[i], &term, &trunc, &ok);
  out_.terminated[i] = term;
  out_.truncated[i] = trunc;
  out_.is_success[i] = ok;
  FinishStep(i);
}

void Batch::FinishStep(int i) {
  Runner& runner = *runners_[i];
  runner.WriteState(i, out_);
  if ((out_.terminated[i] || out_.truncated[i]) && options_.auto_reset) {
    float* obs = &out_.obs[i * kObs];
    std::copy(obs, obs + kObs, &out_.terminal_obs[i * kObs]);
    runner.Reset();
    runner.WriteObs(obs);
  }
}

// Runner::Step for up to kLanes runners at once, frame by frame: each runner
// does its own half-frames and steps, and the worlds' islands are solved
// side by side (physics::SolveLockstep gives each world the bits it would get
// alone), so the results do not depend on how runners are grouped.
void Batch::StepGroup(int begin, int end, const int64_t* actions) {
  const RunnerTable& t = table_;
  for (int g = begin; g < end; g += physics::kLanes) {
    const int n = std::min(physics::kLanes, end - g);
    if (n == 1 || !physics::LockstepAvailable()) {
      for (int i = g; i < g + n; ++i) StepOne(i, static_cast<int>(actions[i]));
      continue;
    }
    for (int f = 0; f < options_.frames_per_step; ++f) {
      physics::World* worlds[physics::kLanes];
      bool began[physics::kLanes];
      int m = 0;
      for (int l = 0; l < n; ++l) {
        Runner& runner = *runners_[g + l];
        began[l] = runner.FrameBegin(options_.action_keys[actions[g + l]], true);
        if (!began[l] || !runner.steps_physics()) continue;
        physics::World& world = runner.world_physics();
        if (world.BeginStep(t.time_step, t.velocity_iterations, t.position_iterations)) {
          worlds[m++] = &world;
        } else {
          world.EndStep();
        }
      }
      if (m > 0) physics::SolveLockstep(worlds, m);
      for (int k = 0; k < m; ++k) worlds[k]->EndStep();
      for (int l = 0; l < n; ++l) {
        if (began[l]) runners_[g + l]->FrameEnd();
      }
    }
    for (int l = 0; l < n; ++l) {
      const int i = g + l;
      bool term = false, trunc = false, ok = false;
      runners_[i]->StepResult(&out_.reward[i], &term, &trunc, &ok);
      out_.terminated[i] = term;
      out_.truncated[i] = trunc;
      out_.is_success[i] = ok;
      FinishStep(i);
    }
  }
}

void Batch::Step(const int64_t* actions) {
  Pool().ParallelFor(n_envs(), [&](int begin, int end) { StepGroup(begin, end, actions); }, physics::kLanes);
}

void Batch::Reset(const uint8_t* mask) {
  Pool().ParallelFor(n_envs(), [&](int begin, int end) {
    for (int i = begin; i < end; ++i) {
      if (mask && !mask[i]) continue;
      Runner& runner = *runners_[i];
      runner.Reset();
      out_.reward[i] = 0.0f;
      out_.terminated[i] = out_.truncated[i] = out_.is_success[i] = 0;
      runner.WriteState(i, out_);
    }
  });
}

void Batch::RunRandom(int n_steps, uint64_t seed) {
  const int n = n_envs();
  std::vector<int64_t> actions(n);
  uint64_t state = SplitMix64(seed) | 1;
  for (int s = 0; s < n_steps; ++s) {
    for (int i = 0; i < n; ++i) {
      actions[i] = static_cast<int64_t>((NextRandom(&state) >> 33) % options_.n_actions);
    }
    Step(actions.data());
  }
}

}  // namespace qwop
