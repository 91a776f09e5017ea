# cython: language_level=3, boundscheck=False, wraparound=False
# distutils: language = c++
"""qwop_fast._engine: many QWOP games stepped in C++ with the GIL released.

A thin binding: it checks its inputs once per call, fills the C++ structs from
``qwop_fast.runner_table`` and ``qwop_fast.options.EnvOptions``, allocates the
numpy output buffers from the one list the C++ side declares
(``QWOP_BUFFERS`` in ext/qwop_runner.h), and hands their pointers to
``qwop::Batch`` (ext/qwop_runner.cpp), which runs the game on its own physics
(ext/qwop_physics.cpp).
"""

import os

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libcpp cimport bool as cbool

from qwop_fast import runner_table as table
from qwop_fast.memory import ENGINE_BYTES_PER_ENV, available_memory
from qwop_fast.options import EnvOptions

cnp.import_array()


cdef extern from "qwop_physics.h" namespace "qwop::physics" nogil:
    cdef struct Vec2:
        double x, y
    cdef struct Mat22:
        Vec2 col1, col2
    cdef struct Transform:
        Vec2 position
        Mat22 R
    cdef struct Box:
        double hx, hy, density, friction
    cdef cppclass Body:
        int type
        Vec2 c, v
        double a, w, torque, mass, I, sleep_time
        Transform xf
        Box box
        int proxy, tag
        cbool awake()
    cdef cppclass RevoluteJoint:
        int body_a, body_b, limit_state
        Vec2 pivot_force
        double motor_force, limit_force, limit_position_impulse, motor_mass
        Mat22 pivot_mass
        Vec2 local_anchor1, local_anchor2
        double reference_angle, lower, upper, max_motor_torque, motor_speed
        cbool enable_motor, enable_limit
        double JointAngle(const Body* bodies)
    cdef cppclass ManifoldPoint:
        Vec2 local_point
        double normal_impulse, tangent_impulse
        uint32_t key
    cdef cppclass Manifold:
        ManifoldPoint points[2]
        Vec2 local_plane_normal, local_point
        int type, point_count
    cdef cppclass Contact:
        int body_a, body_b, next
        cbool touching()
        const Manifold& manifold()
    cdef cppclass World:
        Body bodies[24]
        RevoluteJoint joints[16]
        int body_count, joint_count
        Contact contacts[96]
        int contact_list()
        int touching_count()
        int island_body(int i)
        int island_contact(int i)
        int island_joint(int i)
        int island_body_count()
        int island_contact_count()
        int island_joint_count()


cdef extern from "qwop_runner.h" namespace "qwop" nogil:
    const int kBodies
    const int kJoints
    const int kObs
    const int kMaxActions
    const int kTrackSegments

    cdef struct BoxSpec:
        double x, y, angle, half_w, half_h, density, friction
        uint16_t category, mask

    cdef struct JointSpec:
        int body_a, body_b
        double local_a[2]
        double local_b[2]
        double reference_angle, lower, upper
        int enable_limit, enable_motor
        double max_motor_torque
        int keyed

    cdef struct RunnerTable:
        double gravity[2]
        double time_step
        int velocity_iterations, position_iterations
        double clock_per_frame
        double wu_per_metre
        BoxSpec track
        double track_spacing, camera_start_px, camera_offset_wu, camera_min_y
        double world_scale, segment_px
        BoxSpec block, hurdle_base, hurdle_top
        JointSpec hurdle_joint
        BoxSpec bodies[12]
        JointSpec joints[11]
        int torso, head, left_foot, right_foot
        int is_fall_part[12]
        int left_hip, right_hip
        int game_end_free[11]
        double jump_px, finish_px
        double bound_min_m, bound_max_m
        double success_distance_m
        double head_torque_gain, head_torque_offset
        int thigh_joints[4]
        double thigh_speeds_q[4]
        double thigh_speeds_w[4]
        int calf_joints[2]
        double calf_speeds_o[2]
        double calf_speeds_p[2]
        double left_hip_limits_o[2]
        double right_hip_limits_o[2]
        double left_hip_limits_p[2]
        double right_hip_limits_p[2]
        int obs_body[12]
        double obs_centre[5]
        double obs_half_range[5]

    cdef struct Options:
        int frames_per_step
        int n_actions
        int action_keys[16]
        int max_episode_steps
        double speed_rew_mult, time_cost_mult, success_reward, failure_cost
        int hurdle
        int success_rule_game
        int head_torque_accumulates
        int first_step_from_origin
        int intro_frames_low, intro_frames_high
        int auto_reset

    cdef struct Outputs:
        pass

    cdef struct BufferSpec:
        const char* name
        char kind
        int d0, d1
    const BufferSpec kBufferSpecs[]
    const int kNumBuffers
    void SetBuffer(Outputs* out, int index, void* data)

    cdef cppclass Runner:
        double distance_m() const
        double game_time() const
        int intro_frames() const
        cbool fallen() const
        cbool jumped() const
        cbool landed() const
        cbool ended() const
        double camera_x() const
        double joint_angle(int j) const
        const World& world() const
        const Body& body(int i) const
        const RevoluteJoint& joint(int j) const
        const Body& track(int i) const
        void WriteHurdlePose(double* pose) const

    cdef cppclass Batch:
        Batch(const RunnerTable& table, const Options& options, int n_envs, int num_threads) except +
        int n_envs() const
        int num_threads() const
        void SetOutputs(const Outputs& out)
        void Seed(const uint64_t* seeds)
        void Step(const int64_t* actions)
        void Reset(const uint8_t* mask)
        void RunRandom(int n_steps, uint64_t seed)
        void SetOptions(const Options& options)
        const Runner& runner(int i) const


# numpy dtype of each buffer element kind in kBufferSpecs
_KINDS = {ord("f"): np.float32, ord("d"): np.float64, ord("b"): np.bool_, ord("i"): np.int32}


cdef void _fill_box(BoxSpec* box, double x, double y, double angle, double half_w, double half_h,
                    double density, double friction, int category, int mask):
    box.x, box.y, box.angle = x, y, angle
    box.half_w, box.half_h = half_w, half_h
    box.density, box.friction = density, friction
    box.category, box.mask = category, mask


cdef void _fill_joint(JointSpec* j, int body_a, int body_b, anchors, double reference_angle,
                      bint enable_limit, double lower, double upper, bint enable_motor,
                      double max_motor_torque, bint keyed):
    j.body_a, j.body_b = body_a, body_b
    (j.local_a[0], j.local_a[1]), (j.local_b[0], j.local_b[1]) = anchors
    j.reference_angle, j.lower, j.upper = reference_angle, lower, upper
    j.enable_limit, j.enable_motor = enable_limit, enable_motor
    j.max_motor_torque = max_motor_torque
    j.keyed = keyed


cdef RunnerTable _build_table() except *:
    """runner_table.py -> RunnerTable (the one place the numbers come from)."""
    cdef RunnerTable t
    cdef int i, j
    bi = table.BODY_INDEX
    ji = table.JOINT_INDEX
    if len(table.BODIES) != kBodies or len(table.JOINTS) != kJoints:
        raise ValueError(f"runner_table must have {kBodies} bodies and {kJoints} joints")
    if table.TRACK_SEGMENTS != kTrackSegments:
        raise ValueError(f"runner_table must have {kTrackSegments} track segments")
    t.gravity[0], t.gravity[1] = table.GRAVITY
    t.time_step = table.TIME_STEP
    t.velocity_iterations = table.VELOCITY_ITERATIONS
    t.position_iterations = table.POSITION_ITERATIONS
    t.clock_per_frame = table.CLOCK_PER_FRAME
    t.wu_per_metre = table.WU_PER_METRE
    tr = table.TRACK
    _fill_box(&t.track, 0.0, table.TRACK_CENTRE_Y, 0.0, table.TRACK_HALF_WIDTH, tr.half_height,
              tr.density, tr.friction, table.CATEGORY_TRACK, table.MASK_TRACK)
    t.track_spacing = table.TRACK_SPACING
    t.camera_start_px = table.CAMERA_START_PX
    t.camera_offset_wu = table.CAMERA_OFFSET_WU
    t.camera_min_y = table.CAMERA_MIN_Y
    t.world_scale = table.WORLD_SCALE
    t.segment_px = table.SEGMENT_PX
    bx, by, bw, bh = table.BLOCK
    _fill_box(&t.block, bx, by, 0.0, bw, bh, table.BLOCK_DENSITY, table.BLOCK_FRICTION,
              table.CATEGORY_TRACK, table.MASK_TRACK)
    base, top = table.HURDLE_BASE, table.HURDLE_TOP
    _fill_box(&t.hurdle_base, base.x, base.y, 0.0, base.half_w, base.half_h, base.density,
              base.friction, base.category, base.mask)
    _fill_box(&t.hurdle_top, top.x, top.y, 0.0, top.half_w, top.half_h, top.density, top.friction,
              top.category, top.mask)
    _fill_joint(&t.hurdle_joint, 0, 1, table.HURDLE_JOINT_LOCAL_ANCHORS, 0.0, True, 0.0, 0.0,
                False, 0.0, False)
    for i, body in enumerate(table.BODIES):
        _fill_box(&t.bodies[i], body.x, body.y, body.angle, body.half_w, body.half_h, body.density,
                  body.friction, table.CATEGORY_RUNNER, table.MASK_RUNNER)
        t.is_fall_part[i] = body.name in table.FALL_PARTS
    for j, joint in enumerate(table.JOINTS):
        _fill_joint(&t.joints[j], bi[joint.body_a], bi[joint.body_b], table.JOINT_LOCAL_ANCHORS[j],
                    joint.reference_angle, True, joint.lower, joint.upper, joint.motor,
                    joint.max_motor_torque, joint.name in table.KEYED_JOINTS)
        t.game_end_free[j] = joint.name in table.GAME_END_FREE_JOINTS
    t.torso, t.head = bi["torso"], bi["head"]
    t.left_foot, t.right_foot = bi["leftFoot"], bi["rightFoot"]
    t.left_hip, t.right_hip = ji["leftHip"], ji["rightHip"]
    t.jump_px, t.finish_px = table.JUMP_PX, table.FINISH_PX
    t.bound_min_m, t.bound_max_m = table.BOUND_MIN_M, table.BOUND_MAX_M
    t.success_distance_m = table.SUCCESS_DISTANCE_M
    t.head_torque_gain = table.HEAD_TORQUE_GAIN
    t.head_torque_offset = table.HEAD_TORQUE_ANGLE_OFFSET
    for i in range(4):
        t.thigh_joints[i] = ji[table.THIGH_JOINTS[i]]
        t.thigh_speeds_q[i] = table.THIGH_SPEEDS_Q[i]
        t.thigh_speeds_w[i] = table.THIGH_SPEEDS_W[i]
    for i in range(2):
        t.calf_joints[i] = ji[table.CALF_JOINTS[i]]
        t.calf_speeds_o[i] = table.CALF_SPEEDS_O[i]
        t.calf_speeds_p[i] = table.CALF_SPEEDS_P[i]
    t.left_hip_limits_o[0], t.left_hip_limits_o[1] = table.HIP_LIMITS_O["leftHip"]
    t.right_hip_limits_o[0], t.right_hip_limits_o[1] = table.HIP_LIMITS_O["rightHip"]
    t.left_hip_limits_p[0], t.left_hip_limits_p[1] = table.HIP_LIMITS_P["leftHip"]
    t.right_hip_limits_p[0], t.right_hip_limits_p[1] = table.HIP_LIMITS_P["rightHip"]
    for i, name in enumerate(table.OBS_BODY_ORDER):
        t.obs_body[i] = bi[name]
    for i in range(5):
        t.obs_centre[i] = table.OBS_CENTRE[i]
        t.obs_half_range[i] = table.OBS_HALF_RANGE[i]
    return t


cdef Options _build_options(opts, bint auto_reset) except *:
    cdef Options o
    cdef int i
    keys = opts.action_keys
    o.frames_per_step = opts.frames_per_step
    o.n_actions = len(keys)
    for i in range(kMaxActions):
        o.action_keys[i] = keys[i] if i < len(keys) else 0
    o.max_episode_steps = opts.max_episode_steps
    o.speed_rew_mult = opts.speed_rew_mult
    o.time_cost_mult = opts.time_cost_mult
    o.success_reward = opts.success_reward
    o.failure_cost = opts.failure_cost
    o.hurdle = opts.hurdle
    o.success_rule_game = opts.success_rule == "game"
    o.head_torque_accumulates = opts.head_torque_accumulates
    o.first_step_from_origin = opts.first_step_reference == "origin"
    o.intro_frames_low, o.intro_frames_high = opts.intro_frames_range
    o.auto_reset = auto_reset
    return o


def _readonly(arr):
    view = arr.view()
    view.flags.writeable = False
    return view


def default_num_threads():
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def buffer_specs():
    """The engine's output buffers as (name, row shape, numpy dtype), in the
    order the C++ side declares them (QWOP_BUFFERS)."""
    cdef int i
    specs = []
    for i in range(kNumBuffers):
        s = kBufferSpecs[i]
        if s.d1 != 1:
            row = (s.d0, s.d1)
        elif s.d0 != 1:
            row = (s.d0,)
        else:
            row = ()
        specs.append((s.name.decode(), row, _KINDS[s.kind]))
    return specs


def _check_count(name, value, lo, hi):
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be an integer in [{lo}, {hi}], got {value!r:.60}")
    value = int(value)
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value}")
    return value


cdef class Engine:
    """``n_envs`` independent QWOP games, each in its own world.

    ``step(actions)`` holds each env's keys for ``frames_per_step`` frames and
    writes the results into this object's numpy buffers, exposed as read-only
    attributes and overwritten by the next call (see ``buffer_specs()``):

    obs (n, 60) float32, terminal_obs (n, 60) float32 (rows of envs that
    ended in this step), reward (n,) float32, terminated / truncated /
    is_success (n,) bool, distance (n,) metres, game_time (n,) clock seconds,
    episode_step (n,) int32, joint_angle (n, 11) and joint_limits (n, 11, 2)
    float32, body_pose (n, 12, 3) float32 and body_state (n, 12, 6) float64
    (x, y, angle, vx, vy, angular velocity in world units, creation order).

    With ``auto_reset`` (the default, SB3's convention) an env that ended has
    its final observation copied to ``terminal_obs`` and its world rebuilt in
    the same call, so ``obs`` holds the start pose; every other buffer still
    describes the step that ended. ``num_threads`` native threads share the
    worlds (default: usable cores; 0 or 1: none). ``seed`` (or ``seed(seeds)``
    later) seeds each env's draw of ``intro_frames`` at its resets: env i gets
    seed + i; without one each env's stream starts from fresh entropy.

    One Python thread at a time: a call made while another thread is inside
    step/reset/run_random raises RuntimeError instead of racing, and close()
    then refuses. After os.fork() the child gets threads of its own.
    """

    cdef Batch* _batch
    cdef Options _options
    cdef object _env_options
    cdef bint _busy
    cdef readonly int n_envs
    cdef readonly bint auto_reset
    cdef dict _arrays   # name -> writable buffer (C++ writes through its pointer)
    cdef dict _views    # name -> read-only view of it, made once
    cdef object _actions, _reset_mask, _seeds
    cdef readonly object obs, reward, terminated, truncated  # the hot ones, as attributes

    def __cinit__(self, n_envs=1, num_threads=None, auto_reset=True, seed=None, **env_kwargs):
        self._batch = NULL
        n_envs = _check_count("n_envs", n_envs, 1, 1_000_000)
        if num_threads is None:
            num_threads = default_num_threads()
        num_threads = _check_count("num_threads", num_threads, 0, 1024)
        if not isinstance(auto_reset, (bool, np.bool_)):
            raise TypeError(f"auto_reset must be a bool, got {auto_reset!r:.60}")
        opts = EnvOptions.from_kwargs(**env_kwargs)
        # Refused before anything is allocated, rather than swapping or the
        # process being killed.
        have = available_memory()
        if have is not None and n_envs * ENGINE_BYTES_PER_ENV > have:
            raise ValueError(f"n_envs={n_envs} needs about {n_envs * ENGINE_BYTES_PER_ENV / 2**20:.0f} MiB "
                             f"for the engine, but only {have / 2**20:.0f} MiB of memory is available; "
                             f"use fewer envs")
        self.n_envs = n_envs
        self.auto_reset = bool(auto_reset)
        self._env_options = opts
        self._options = _build_options(opts, self.auto_reset)
        cdef RunnerTable t = _build_table()

        self._arrays, self._views = {}, {}
        cdef Outputs out
        for i, (name, row, dtype) in enumerate(buffer_specs()):
            arr = np.zeros((n_envs, *row), dtype)
            self._arrays[name] = arr
            self._views[name] = _readonly(arr)
            SetBuffer(&out, i, cnp.PyArray_DATA(arr))
        self._actions = np.zeros(n_envs, np.int64)
        self._reset_mask = np.zeros(n_envs, np.uint8)
        self._seeds = np.zeros(n_envs, np.uint64)

        # Building the runners builds every world once.
        self._batch = new Batch(t, self._options, n_envs, max(1, min(num_threads, n_envs)))
        self._batch.SetOutputs(out)
        # The intro_frames streams: env i gets seed + i, or fresh entropy.
        if seed is None:
            self._seeds[:] = np.random.SeedSequence().generate_state(n_envs, np.uint64)
        else:
            s0 = _check_count("seed", seed, 0, 2**64 - n_envs)
            self._seeds[:] = np.arange(n_envs, dtype=np.uint64) + np.uint64(s0)
        self._batch.Seed(<const uint64_t*> cnp.PyArray_DATA(self._seeds))
        self._batch.Reset(NULL)
        self.obs = self._views["obs"]
        self.reward = self._views["reward"]
        self.terminated = self._views["terminated"]
        self.truncated = self._views["truncated"]

    def __dealloc__(self):
        if self._batch != NULL:
            del self._batch
            self._batch = NULL

    def __getattr__(self, name):
        # The other buffers: terminal_obs, is_success, distance, body_state, ...
        views = self._views
        if views is not None and name in views:
            return views[name]
        raise AttributeError(f"'Engine' object has no attribute {name!r}")

    # ------------------------------------------------------------------ state
    cdef inline void _enter(self) except *:
        """Claims the engine for this call. Runs before any Python-level work,
        so under the GIL the check and the claim cannot interleave."""
        if self._busy:
            raise RuntimeError("this Engine is already in use by another thread (step, reset or "
                               "run_random); an Engine serves one thread at a time")
        if self._batch == NULL:
            raise RuntimeError("this Engine is closed")
        self._busy = True

    cdef inline void _check_open(self) except *:
        if self._batch == NULL:
            raise RuntimeError("this Engine is closed")

    @property
    def options(self):
        """The EnvOptions this engine runs with."""
        return self._env_options

    @property
    def closed(self):
        return self._batch == NULL

    @property
    def num_threads(self):
        self._check_open()
        return self._batch.num_threads()

    @property
    def n_actions(self):
        return self._options.n_actions

    @property
    def frames_per_step(self):
        return self._options.frames_per_step

    # ---------------------------------------------------------------- actions
    def _validate_actions(self, actions):
        """Checks the whole batch before anything moves: nothing half-stepped."""
        cdef const int64_t[::1] fast
        cdef Py_ssize_t i
        cdef int64_t n_actions = self._options.n_actions
        # Fast path for what SB3 passes: a contiguous int64 array of the right shape.
        if (type(actions) is np.ndarray and actions.dtype == np.int64 and actions.ndim == 1
                and actions.shape[0] == self.n_envs and actions.flags.c_contiguous):
            fast = actions
            for i in range(fast.shape[0]):
                if fast[i] < 0 or fast[i] >= n_actions:
                    break
            else:
                return actions
        if actions is None:
            raise TypeError(f"actions are missing: step() needs an integer array of shape "
                            f"({self.n_envs},) with values in [0, {n_actions - 1}], got None")
        arr = np.asarray(actions)
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                hint = " (cast with .astype(int) if these floats are meant as indices)"
            else:
                hint = ""
            raise TypeError(f"actions must be an integer array of shape ({self.n_envs},) "
                            f"with values in [0, {n_actions - 1}], got dtype {arr.dtype}{hint}")
        if arr.ndim == 0 and self.n_envs == 1:
            arr = arr.reshape(1)
        if arr.shape != (self.n_envs,):
            raise ValueError(f"actions must have shape ({self.n_envs},) (one action per env), "
                             f"got shape {arr.shape}")
        if arr.size:
            lo, hi = arr.min(), arr.max()
            if lo < 0 or hi >= n_actions:
                bad = int(lo) if lo < 0 else int(hi)
                raise ValueError(f"actions must be in [0, {n_actions - 1}] "
                                 f"({'reduced 9-action' if n_actions == 9 else 'full 16-action'} set), "
                                 f"got {bad}")
        return arr

    def step(self, actions):
        """Advance every env by one step (frames_per_step frames) with ``actions``.

        actions: integer array of shape (n_envs,), each in [0, n_actions).
        The results are in the buffers (obs, reward, terminated, ...).
        """
        self._enter()
        try:
            arr = self._validate_actions(actions)
            np.copyto(self._actions, arr, casting="unsafe")  # int kinds, range checked
            self._step_claimed()
        finally:
            self._busy = False

    cdef void _step_claimed(self):
        cdef const int64_t* actions_ptr = <const int64_t*> cnp.PyArray_DATA(self._actions)
        with nogil:
            self._batch.Step(actions_ptr)

    def seed(self, seeds):
        """Seed each env's random stream (the intro_frames draw at its resets):
        one int per env, or a single int s meaning s, s + 1, ... ."""
        self._enter()
        try:
            if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
                s = _check_count("seed", seeds, 0, 2**64 - self.n_envs)
                values = [s + i for i in range(self.n_envs)]
            else:
                values = [_check_count("seeds[i]", v, 0, 2**64 - 1) for v in seeds]
                if len(values) != self.n_envs:
                    raise ValueError(f"seeds must have one entry per env ({self.n_envs}), "
                                     f"got {len(values)}")
            self._seeds[:] = np.array(values, dtype=np.uint64)
            self._batch.Seed(<const uint64_t*> cnp.PyArray_DATA(self._seeds))
        finally:
            self._busy = False

    def reset(self, indices=None):
        """Rebuild the worlds of ``indices`` (all when None); returns obs (view).

        The other envs are left exactly as they were.
        """
        self._enter()
        cdef const uint8_t* mask_ptr = NULL
        try:
            if indices is not None:
                idx = np.asarray(indices)
                if idx.dtype.kind not in "iu" or idx.ndim > 1:
                    raise TypeError(f"indices must be None, an int or a 1-d integer array of env "
                                    f"indices in [0, {self.n_envs - 1}], got {indices!r:.60}")
                idx = idx.reshape(-1)
                if idx.size and (idx.min() < 0 or idx.max() >= self.n_envs):
                    raise ValueError(f"indices must be in [0, {self.n_envs - 1}], got {indices!r:.60}")
                self._reset_mask[:] = 0
                self._reset_mask[idx] = 1
                mask_ptr = <const uint8_t*> cnp.PyArray_DATA(self._reset_mask)
            with nogil:
                self._batch.Reset(mask_ptr)
        finally:
            self._busy = False
        return self.obs

    def set_options(self, **changes):
        """Change env options of a live engine (from the next step; options
        that shape the world, like hurdle or intro_frames, from each env's next
        reset). reduced_action_set cannot change: it changes the action space.
        """
        self._enter()
        try:
            new = self._env_options.replace(**changes)
            if new.reduced_action_set != self._env_options.reduced_action_set:
                raise ValueError("reduced_action_set cannot be changed on a live engine "
                                 "(it changes the action space); build a new one")
            # Batch keeps its own copy of Options that the runners point to.
            self._env_options = new
            self._options = _build_options(new, self.auto_reset)
            self._batch.SetOptions(self._options)
        finally:
            self._busy = False

    def run_random(self, n_steps, seed=0):
        """The raw engine limit: ``n_steps`` batched steps of uniformly random
        actions drawn in C++, auto-resets included, with no Python in the loop."""
        self._enter()
        cdef int steps
        cdef uint64_t s
        try:
            steps = _check_count("n_steps", n_steps, 0, 2**31 - 1)
            s = _check_count("seed", seed, 0, 2**64 - 1)
            with nogil:
                self._batch.RunRandom(steps, s)
        finally:
            self._busy = False

    # ------------------------------------------------------------ inspection
    def flags(self):
        """(n, 3) bool array of the game flags now: fallen, landed, ended."""
        self._check_open()
        out = np.zeros((self.n_envs, 3), np.bool_)
        cdef int i
        cdef const Runner* r
        for i in range(self.n_envs):
            r = &self._batch.runner(i)
            out[i, 0] = r.fallen()
            out[i, 1] = r.landed()
            out[i, 2] = r.ended()
        return out

    def current_body_state(self):
        """(n, 12, 6) float64 x, y, angle, vx, vy, angular velocity of every
        body now (after any auto-reset), in the creation order."""
        self._check_open()
        out = np.zeros((self.n_envs, kBodies, 6), np.float64)
        cdef double[:, :, ::1] view = out
        cdef int i, k
        cdef const Body* b
        for i in range(self.n_envs):
            for k in range(kBodies):
                b = &self._batch.runner(i).body(k)
                view[i, k, 0] = b.c.x
                view[i, k, 1] = b.c.y
                view[i, k, 2] = b.a
                view[i, k, 3] = b.v.x
                view[i, k, 4] = b.v.y
                view[i, k, 5] = b.w
        return out

    def current_body_pose(self):
        """(n, 12, 3) float32 x, y, angle of every body now (after any
        auto-reset), in the creation order of runner_table.BODIES."""
        return self.current_body_state()[:, :, :3].astype(np.float32)

    def current_hurdle_pose(self):
        """(n, 2, 3) float64 x, y, angle of the hurdle base and top bar now
        (NaN when the env has no hurdle)."""
        self._check_open()
        out = np.zeros((self.n_envs, 2, 3), np.float64)
        cdef double[:, :, ::1] view = out
        cdef int i
        for i in range(self.n_envs):
            self._batch.runner(i).WriteHurdlePose(&view[i, 0, 0])
        return out

    def game_state(self, int env=0):
        """The game's own variables in env ``env`` now, named as in the
        oracle's trajectories: camera_x (px), floor_x (the 3 track segments),
        head_torque_accum, hurdle_awake ("T"/"B" for the awake hurdle parts),
        contacts_touching, scoreTime, the
        flags, and the intro_frames this episode started with."""
        self._check_open()
        if not 0 <= env < self.n_envs:
            raise ValueError(f"env must be in [0, {self.n_envs - 1}], got {env}")
        cdef const Runner* r = &self._batch.runner(env)
        cdef int i
        hurdle = self._env_options.hurdle
        return dict(
            camera_x=r.camera_x(),
            floor_x=tuple(r.track(i).xf.position.x for i in range(kTrackSegments)),
            head_torque_accum=r.body(table.BODY_INDEX["head"]).torque,
            # as the recordings write it: "T" top awake, "B" base awake
            hurdle_awake=(("T" if r.world().bodies[6].awake() else "")
                          + ("B" if r.world().bodies[5].awake() else "")) if hurdle else None,
            contacts_touching=r.world().touching_count(),
            scoreTime=r.game_time(),
            fallen=r.fallen(), jumped=r.jumped(), jumpLanded=r.landed(), gameEnded=r.ended(),
            intro_frames=r.intro_frames(),
        )

    def debug_world(self, int env=0):
        """Solver internals of env ``env`` (for tracing a difference from the
        oracle's internals): contacts in world-list order (newest first) with
        their proxies, touching flag and manifold; joints (creation order,
        the hurdle's first) with their accumulators; bodies (creation order:
        ground, 3 track segments, block, hurdle base and top, the 12 parts);
        the last island solved."""
        self._check_open()
        if not 0 <= env < self.n_envs:
            raise ValueError(f"env must be in [0, {self.n_envs - 1}], got {env}")
        cdef const World* w = &self._batch.runner(env).world()
        cdef const Contact* c
        cdef const Body* b
        cdef const RevoluteJoint* j
        cdef int ci = w.contact_list()
        contacts = []
        while ci >= 0:
            c = &w.contacts[ci]
            m = &c.manifold()
            contacts.append(dict(
                id=ci, pair=f"{w.bodies[c.body_a].proxy}-{w.bodies[c.body_b].proxy}",
                touching=c.touching(), type=m.type,
                lpn=(m.local_plane_normal.x, m.local_plane_normal.y),
                lp=(m.local_point.x, m.local_point.y),
                local_points=[(m.points[k].local_point.x, m.points[k].local_point.y) for k in range(m.point_count)],
                points=[
                    (m.points[k].key, m.points[k].normal_impulse, m.points[k].tangent_impulse)
                    for k in range(m.point_count)]))
            ci = c.next
        bodies = []
        for i in range(w.body_count):
            b = &w.bodies[i]
            bodies.append(dict(c=(b.c.x, b.c.y), a=b.a, v=(b.v.x, b.v.y), w=b.w, awake=b.awake(),
                               mass=b.mass, inertia=b.I,
                               sleep_time=b.sleep_time, torque=b.torque, proxy=b.proxy))
        joints = []
        for i in range(w.joint_count):
            j = &w.joints[i]
            joints.append(dict(bodies=(j.body_a, j.body_b), pivot_force=(j.pivot_force.x, j.pivot_force.y),
                               motor_force=j.motor_force, limit_force=j.limit_force,
                               limit_position_impulse=j.limit_position_impulse,
                               limit_state=j.limit_state, motor_mass=j.motor_mass,
                               pivot_mass=(j.pivot_mass.col1.x, j.pivot_mass.col1.y,
                                           j.pivot_mass.col2.x, j.pivot_mass.col2.y)))
        island = dict(bodies=[w.island_body(i) for i in range(w.island_body_count())],
                      contacts=[w.island_contact(i) for i in range(w.island_contact_count())],
                      joints=[w.island_joint(i) for i in range(w.island_joint_count())])
        return dict(contacts=contacts, bodies=bodies, joints=joints, last_island=island)

    def describe_world(self, int env=0):
        """The runner as built in env ``env`` (for cross-checks):
        {"bodies": {name: {mass, inertia, x, y, angle}},
         "joints": {name: {local_anchor_a, local_anchor_b, reference_angle,
                           lower, upper, motor, max_motor_torque, angle}}}."""
        self._check_open()
        if not 0 <= env < self.n_envs:
            raise ValueError(f"env must be in [0, {self.n_envs - 1}], got {env}")
        cdef const Runner* r = &self._batch.runner(env)
        cdef const Body* b
        cdef const RevoluteJoint* jt
        bodies = {}
        for i, name in enumerate(table.BODY_NAMES):
            b = &r.body(i)
            bodies[name] = dict(mass=b.mass, inertia=b.I, x=b.c.x, y=b.c.y, angle=b.a)
        joints = {}
        for j, name in enumerate(table.JOINT_NAMES):
            jt = &r.joint(j)
            joints[name] = dict(
                local_anchor_a=(jt.local_anchor1.x, jt.local_anchor1.y),
                local_anchor_b=(jt.local_anchor2.x, jt.local_anchor2.y),
                reference_angle=jt.reference_angle, lower=jt.lower, upper=jt.upper,
                motor=jt.enable_motor, max_motor_torque=jt.max_motor_torque,
                angle=r.joint_angle(j))
        return {"bodies": bodies, "joints": joints}

    def close(self):
        """Free every world. Further calls raise RuntimeError; closing while
        another thread is inside a call is refused."""
        if self._busy:
            raise RuntimeError("cannot close an Engine while another thread is using it")
        if self._batch != NULL:
            del self._batch
            self._batch = NULL

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "closed" if self._batch == NULL else f"num_threads={self._batch.num_threads()}"
        return f"Engine(n_envs={self.n_envs}, {state}, {self._env_options})"
