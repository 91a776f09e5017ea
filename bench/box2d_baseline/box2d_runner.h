// qwop-fast's engine before it had its own physics: the QWOP runner on the system
// Box2D 2.4.1 (libbox2d-dev), kept only as the benchmark baseline that
// bench/engine_speed.py measures the new engine against. The runner on Box2D 2.4 (C++), and a batch of independent runners
// stepped over native threads. Plain C++: no Python here. The Cython binding
// (_engine.pyx) fills RunnerTable from qwop_fast/runner_table.py, so every
// number of the runner lives in that one Python module.
#pragma once

#include <box2d/box2d.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace qwop {

constexpr int kBodies = 12;
constexpr int kJoints = 11;
constexpr int kObsPerBody = 5;
constexpr int kObs = kBodies * kObsPerBody;  // 60
constexpr int kMaxActions = 16;

enum KeyBits { kKeyQ = 1, kKeyW = 2, kKeyO = 4, kKeyP = 8 };

struct BoxSpec {
  double x, y, angle, half_w, half_h, density, friction;
  uint16_t category, mask;
};

struct JointSpec {
  int body_a, body_b;  // indices into RunnerTable::bodies (A = child)
  double local_a[2], local_b[2];
  double reference_angle, lower, upper;
  int motor;
  double max_motor_torque;
};

// Everything the runner is made of, copied from runner_table.py.
struct RunnerTable {
  double gravity[2];
  double time_step;
  int velocity_iterations, position_iterations;
  double clock_per_frame;
  double wu_per_metre;

  double track_top_y, track_half_height, track_x_min, track_x_max;
  double track_friction, track_restitution, track_density;
  uint16_t track_category, track_mask;

  BoxSpec hurdle_base, hurdle_top;  // one rigid body: base at its origin,
  double hurdle_top_offset[2];      // the top bar's centre offset by this

  BoxSpec bodies[kBodies];
  JointSpec joints[kJoints];
  int torso, head;               // body indices
  int is_fall_part[kBodies];     // head, arms, forearms
  int is_foot[kBodies];

  double jump_x, finish_x;                    // wu
  double bound_min_m, bound_max_m;            // metres
  double success_distance_m;                  // metres
  double head_torque_gain, head_torque_offset;

  int thigh_joints[4];  // rightHip, leftHip, rightShoulder, leftShoulder
  double thigh_speeds_q[4], thigh_speeds_w[4];
  int calf_joints[2];   // rightKnee, leftKnee
  double calf_speeds_o[2], calf_speeds_p[2];
  int left_hip, right_hip;
  double left_hip_limits_o[2], right_hip_limits_o[2];
  double left_hip_limits_p[2], right_hip_limits_p[2];

  int obs_body[kBodies];  // observation slot -> body index
  float obs_centre[kObsPerBody], obs_half_range[kObsPerBody];
};

// The env options (validated in Python: qwop_fast/options.py).
struct Options {
  int frames_per_step;
  int n_actions;
  int action_keys[kMaxActions];  // action index -> key bits
  int max_episode_steps;         // 0 = never truncate
  double speed_rew_mult, time_cost_mult, success_reward, failure_cost;
  int hurdle;
  int success_rule_game;         // 0 = qwop_gym rule, 1 = game rule
  int head_torque_accumulates;
  int first_step_from_origin;    // 1 = the sources' (0, 0) first-step reference
  int auto_reset;
};

// Batched output buffers (numpy arrays owned by the Python Engine). Row i
// belongs to world i. All but obs describe the state the step ended in;
// obs is the reset observation when an env was auto-reset in this step.
struct Outputs {
  float* obs;            // (n, 60)
  float* terminal_obs;   // (n, 60), written only for envs that ended
  float* reward;         // (n,)
  uint8_t* terminated;   // (n,)
  uint8_t* truncated;    // (n,)
  uint8_t* is_success;   // (n,)
  double* distance;      // (n,) torso x in metres
  double* game_time;     // (n,) game-clock seconds
  int32_t* episode_step; // (n,) env steps taken in the episode that this step belongs to
  float* joint_angle;    // (n, 11)
  float* joint_limits;   // (n, 11, 2) current lower, upper
  float* body_pose;      // (n, 12, 3) x, y, angle in creation order
};

// One runner in its own Box2D world. Contact events arrive through the
// b2ContactListener interface during b2World::Step.
class Runner : public b2ContactListener {
 public:
  Runner(const RunnerTable* table, const Options* options);
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  ~Runner() override = default;

  // Destroys the whole world and builds it anew, so that an episode never
  // depends on what happened in earlier ones (Box2D keeps internal state such
  // as contact and proxy order in a living world).
  void Reset();

  // Holds `keys` for frames_per_step frames and computes the step's reward.
  void Step(int keys, float* reward, bool* terminated, bool* truncated, bool* success);

  void WriteObs(float* row) const;
  void WriteJoints(float* angle, float* limits) const;
  void WritePose(float* pose) const;
  // Hurdle base and top bar: x, y, angle each (NaN when there is no hurdle).
  void WriteHurdlePose(float* pose) const;

  double distance_m() const;
  double game_time() const { return clock_frames_ * table_->clock_per_frame; }
  int episode_step() const { return steps_; }
  bool fallen() const { return fallen_; }
  bool landed() const { return landed_; }
  bool ended() const { return ended_; }
  const b2Body* body(int i) const { return bodies_[i]; }
  const b2RevoluteJoint* joint(int j) const { return joints_[j]; }

  void BeginContact(b2Contact* contact) override;

 private:
  void Frame(int keys);
  void ApplyKeys(int keys);

  const RunnerTable* table_;
  const Options* options_;
  std::unique_ptr<b2World> world_;
  b2Body* bodies_[kBodies] = {};
  b2RevoluteJoint* joints_[kJoints] = {};
  b2Body* hurdle_ = nullptr;  // base + top bar, one rigid body (null without)

  bool fallen_ = false, jumped_ = false, landed_ = false, ended_ = false;
  bool paused_ = false;  // landed: the game stops the physics
  int clock_frames_ = 0; // frames the game clock ran (it stops when the game ends)
  int steps_ = 0;
  double prev_distance_ = 0.0, prev_time_ = 0.0;  // for the reward's velocity
};

// A fixed set of native threads that run one function over a static split of
// [0, n). The caller's thread does the first share, so num_threads = 1 means
// no extra thread at all. The split depends only on n and num_threads, and
// each world is touched by exactly one thread: no locks around the physics.
// Threads spin briefly before sleeping on a condition variable: one batched
// step takes tens of microseconds at small n, about what waking a sleeping
// thread costs, so a short spin keeps small batches worth splitting.
class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return num_threads_; }
  void ParallelFor(int n, const std::function<void(int, int)>& fn);

 private:
  void WorkerLoop(int worker);

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int, int)>* job_ = nullptr;  // written before generation_
  int job_n_ = 0;
  std::atomic<uint64_t> generation_{0};  // one more per job (release: publishes job_)
  std::atomic<int> pending_{0};          // workers still running the current job
  std::atomic<bool> stopping_{false};
};

// n independent runners; the Python Engine's C++ half.
class Batch {
 public:
  Batch(const RunnerTable& table, const Options& options, int n_envs, int num_threads);

  int n_envs() const { return static_cast<int>(runners_.size()); }
  int num_threads() const { return pool_.size(); }
  void SetOutputs(const Outputs& out) { out_ = out; }
  // The runners point at options_, so new values apply from their next step.
  void SetOptions(const Options& options) { options_ = options; }

  // actions must already be validated (0 <= a < n_actions). Safe to call
  // without the GIL: touches only the worlds and the output buffers.
  void Step(const int64_t* actions);
  // Resets the worlds whose mask entry is non-zero (all when mask is null)
  // and writes their observation rows.
  void Reset(const uint8_t* mask);
  // The raw engine limit: n_steps batched steps of uniformly random actions
  // drawn in C++ (auto-reset as in Step), no Python in the loop.
  void RunRandom(int n_steps, uint64_t seed);

  const Runner& runner(int i) const { return *runners_[i]; }

 private:
  void StepOne(int i, int action);

  RunnerTable table_;
  Options options_;
  std::vector<std::unique_ptr<Runner>> runners_;
  ThreadPool pool_;
  Outputs out_{};
};

// Box2D 2.4 fills a process-wide table of contact types the first time any
// contact is created (b2Contact::s_initialized). Call this once on the main
// thread before worker threads create contacts, so that they never race on it.
void InitBox2DStatics();

}  // namespace qwop
