// One QWOP game on the game's own physics (qwop_physics.h), and a batch of
// independent games stepped over native threads. Plain C++: no Python here.
// The Cython binding (_engine.pyx) fills RunnerTable from
// qwop_fast/runner_table.py, so every number of the runner lives in that one
// Python module; the list of output buffers is declared once, below.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "qwop_physics.h"

namespace qwop {

constexpr int kBodies = 12;
constexpr int kJoints = 11;
constexpr int kTrackSegments = 3;
constexpr int kObsPerBody = 5;
constexpr int kObs = kBodies * kObsPerBody;  // 60
constexpr int kStatePerBody = 6;             // x, y, angle, vx, vy, omega
constexpr int kMaxActions = 16;

enum KeyBits { kKeyQ = 1, kKeyW = 2, kKeyO = 4, kKeyP = 8 };

// A body as the game creates it: a box centred on the body.
struct BoxSpec {
  double x, y, angle, half_w, half_h, density, friction;
  uint16_t category, mask;
};

struct JointSpec {
  int body_a, body_b;  // indices into RunnerTable::bodies (A = distal part)
  double local_a[2], local_b[2];  // the game's local anchors (getLocalPoint)
  double reference_angle, lower, upper;
  int enable_limit, enable_motor;
  double max_motor_torque;
  int keyed;  // hips, knees, shoulders: speed 0, limit and motor enabled after creation
};

// Everything the game is made of, copied from runner_table.py.
struct RunnerTable {
  double gravity[2];
  double time_step;
  int velocity_iterations, position_iterations;
  double clock_per_frame;  // the game clock's 1/30 s per frame
  double wu_per_metre;

  // three static track segments re-placed with the camera [F11]
  BoxSpec track;            // x is unused; segment i starts at i * track_spacing
  double track_spacing;     // 32 wu
  double camera_start_px;   // -200
  double camera_offset_wu;  // -14: camera x = (torso x + offset) * world_scale
  double camera_min_y;      // -5: above this the camera x does not follow
  double world_scale;       // 20 px per wu
  double segment_px;        // 640

  BoxSpec block;  // the wall behind the start
  BoxSpec hurdle_base, hurdle_top;  // created asleep
  JointSpec hurdle_joint;           // body_a = top, body_b = base (0/1 here)

  BoxSpec bodies[kBodies];
  JointSpec joints[kJoints];
  int torso, head, left_foot, right_foot;
  int is_fall_part[kBodies];  // head, arms, forearms
  int left_hip, right_hip;
  int game_end_free[kJoints];  // knees and shoulders: limit and motor off at game end

  double jump_px, finish_px;  // beginContact thresholds on h * world_scale
  double bound_min_m, bound_max_m;
  double success_distance_m;
  double head_torque_gain, head_torque_offset;

  int thigh_joints[4];  // rightHip, leftHip, rightShoulder, leftShoulder
  double thigh_speeds_q[4], thigh_speeds_w[4];
  int calf_joints[2];   // rightKnee, leftKnee
  double calf_speeds_o[2], calf_speeds_p[2];
  double left_hip_limits_o[2], right_hip_limits_o[2];
  double left_hip_limits_p[2], right_hip_limits_p[2];

  int obs_body[kBodies];  // observation slot -> body index
  double obs_centre[kObsPerBody], obs_half_range[kObsPerBody];
};

// The env options (validated in Python: qwop_fast/options.py).
struct Options {
  int frames_per_step;
  int n_actions;
  int action_keys[kMaxActions];  // action index -> key bits
  int max_episode_steps;         // 0 = never truncate
  double speed_rew_mult, time_cost_mult, success_reward, failure_cost;
  int hurdle;
  int success_rule_game;  // 0 = qwop_gym rule, 1 = game rule
  int head_torque_accumulates;
  int first_step_from_origin;  // 1 = the sources' (0, 0) first-step reference
  int intro_frames_low, intro_frames_high;  // frames on the intro screen, drawn per reset
  int auto_reset;
};

// The engine's output buffers, declared once: X(name, C type, row shape d0, d1).
// A row of buffer `name` holds d0 * d1 values; the binding allocates
// (n, d0[, d1]) numpy arrays from this list and hands their pointers over.
#define QWOP_BUFFERS(X)                         \
  X(obs, float, kObs, 1)                        \
  X(terminal_obs, float, kObs, 1)               \
  X(reward, float, 1, 1)                        \
  X(terminated, uint8_t, 1, 1)                  \
  X(truncated, uint8_t, 1, 1)                   \
  X(is_success, uint8_t, 1, 1)                  \
  X(distance, double, 1, 1)                     \
  X(game_time, double, 1, 1)                    \
  X(episode_step, int32_t, 1, 1)                \
  X(joint_angle, float, kJoints, 1)             \
  X(joint_limits, float, kJoints, 2)            \
  X(body_pose, float, kBodies, 3)               \
  X(body_state, double, kBodies, kStatePerBody)

struct Outputs {
#define QWOP_DECLARE_POINTER(name, type, d0, d1) type* name = nullptr;
  QWOP_BUFFERS(QWOP_DECLARE_POINTER)
#undef QWOP_DECLARE_POINTER
};

// One QWOP game in its own world. Its frame is the game's update [F8].
class Runner {
 public:
  Runner(const RunnerTable* table, const Options* options);
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Builds the world anew as the game creates it [F14, F15], runs the intro
  // frames drawn from this runner's random stream, then "clicks".
  void Reset();
  // Seeds the stream that draws intro_frames at each reset.
  void Seed(uint64_t seed);

  // Holds `keys` for frames_per_step frames and computes the step's reward.
  void Step(int keys, float* reward, bool* terminated, bool* truncated, bool* success);
  // One game frame (frames_per_step = 1 without the reward bookkeeping);
  // clicked = false: a frame of the intro screen, before the start click.
  void Frame(int keys, bool clicked = true);
  // Frame() in halves around the physics step, for Batch's lockstep: after
  // FrameBegin returns true the caller steps world_physics() when
  // steps_physics(), then calls FrameEnd. False: the frame is over.
  bool FrameBegin(int keys, bool clicked);
  bool steps_physics() const { return !paused_; }
  physics::World& world_physics() { return world_; }
  void FrameEnd();
  // Step() after its frames: the step count, reward and episode end.
  void StepResult(float* reward, bool* terminated, bool* truncated, bool* success);

  // The rows of the step outputs that describe the current state.
  void WriteState(int i, const Outputs& out) const;
  void WriteObs(float* row) const;
  // Hurdle base and top: x, y, angle each (NaN when there is no hurdle).
  void WriteHurdlePose(double* pose) const;

  double distance_m() const;
  double game_time() const { return score_time_; }
  int episode_step() const { return steps_; }
  int intro_frames() const { return intro_frames_; }
  bool fallen() const { return fallen_; }
  bool jumped() const { return jumped_; }
  bool landed() const { return landed_; }
  bool ended() const { return ended_; }
  double camera_x() const { return camera_x_; }
  const physics::World& world() const { return world_; }
  const physics::Body& body(int i) const { return world_.bodies[body_[i]]; }
  const physics::RevoluteJoint& joint(int j) const { return world_.joints[joint_[j]]; }
  const physics::Body& track(int i) const { return world_.bodies[track_[i]]; }
  double joint_angle(int j) const { return joint(j).JointAngle(world_.bodies); }

 private:
  static void OnBeginContact(void* self, const physics::World& world, int contact);
  void BeginContact(int contact);
  void PlaceTrack();
  void ApplyKeys(int keys);
  void EndGame();
  int AddBox(const BoxSpec& spec, int type, bool placed, int tag);

  const RunnerTable* table_;
  const Options* options_;
  physics::World world_;
  int body_[kBodies] = {};
  int joint_[kJoints] = {};
  int track_[kTrackSegments] = {};
  int hurdle_base_ = -1, hurdle_top_ = -1;

  bool fallen_ = false, jumped_ = false, landed_ = false, ended_ = false;
  bool paused_ = false;  // landed: the game stops the physics
  double camera_x_ = 0.0;  // px
  double score_time_ = 0.0;  // the game clock: += 1/30 per frame until the game ends
  int steps_ = 0;
  int intro_frames_ = 0;
  double prev_distance_ = 0.0, prev_time_ = 0.0;  // for the reward's velocity
  uint64_t rng_ = 0;
};

// A fixed set of native threads that run one function over [0, n), each
// thread starting on the same contiguous share at every call: a world then
// stays in the cache of the core that steps it (handing worlds out from one
// shared counter moved them between cores). A thread done with its share
// takes grains from the others' (a slow share no longer holds the step up).
// The caller's thread works too, so num_threads = 1 means no extra thread at
// all. Each world is touched by exactly one thread per call: no locks around
// the physics.
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
  // fn(begin, end) over [0, n): one contiguous share per thread, handed out
  // grain by grain.
  void ParallelFor(int n, const std::function<void(int, int)>& fn, int grain = 1);

 private:
  void WorkerLoop(int worker);

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int, int)>* job_ = nullptr;  // written before generation_
  int job_n_ = 0, job_share_ = 1, job_grain_ = 1;
  std::unique_ptr<std::atomic<int>[]> cursor_;  // per share: its next unclaimed index
  void RunChunks(int worker);
  std::atomic<uint64_t> generation_{0};  // one more per job (release: publishes job_)
  std::atomic<int> pending_{0};          // workers still running the current job
  std::atomic<bool> stopping_{false};
};

// n independent runners; the Python Engine's C++ half.
class Batch {
 public:
  Batch(const RunnerTable& table, const Options& options, int n_envs, int num_threads);

  int n_envs() const { return static_cast<int>(runners_.size()); }
  int num_threads() const { return pool_->size(); }
  void SetOutputs(const Outputs& out) { out_ = out; }
  // The runners point at options_, so new values apply from their next step.
  void SetOptions(const Options& options) { options_ = options; }
  // Seeds runner i's intro-frame stream with seeds[i] (for the next resets).
  void Seed(const uint64_t* seeds);

  // actions must already be validated (0 <= a < n_actions). Safe to call
  // without the GIL: touches only the worlds and the output buffers.
  void Step(const int64_t* actions);
  // Resets the worlds whose mask entry is non-zero (all when mask is null)
  // and writes their rows.
  void Reset(const uint8_t* mask);
  // The raw engine limit: n_steps batched steps of uniformly random actions
  // drawn in C++ (auto-reset as in Step), no Python in the loop.
  void RunRandom(int n_steps, uint64_t seed);

  const Runner& runner(int i) const { return *runners_[i]; }

 private:
  void StepOne(int i, int action);
  // Steps runners [begin, end) physics::kLanes at a time, their frames in lockstep.
  void StepGroup(int begin, int end, const int64_t* actions);
  // StepOne's bookkeeping after the frames: outputs, auto-reset.
  void FinishStep(int i);
  // After fork() the child has none of the parent's worker threads: give it
  // a pool of its own (the parent's, unusable there, is abandoned).
  ThreadPool& Pool();

  RunnerTable table_;
  Options options_;
  std::vector<std::unique_ptr<Runner>> runners_;
  std::unique_ptr<ThreadPool> pool_;
  long pool_pid_ = 0;  // the process the pool's threads live in
  Outputs out_{};
};

}  // namespace qwop

namespace qwop {

// The buffer list above as data, for the binding: element kind ('f' float32,
// 'd' float64, 'b' bool as uint8, 'i' int32) and row shape.
struct BufferSpec {
  const char* name;
  char kind;
  int d0, d1;
};
extern const BufferSpec kBufferSpecs[];
extern const int kNumBuffers;
// Points buffer `index` (its place in QWOP_BUFFERS) at `data`.
void SetBuffer(Outputs* out, int index, void* data);

}  // namespace qwop
