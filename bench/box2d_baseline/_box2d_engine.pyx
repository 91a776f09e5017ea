# cython: language_level=3, boundscheck=False, wraparound=False
# distutils: language = c++
"""The Box2D 2.4.1 engine qwop-fast had before its own physics (bench baseline): many QWOP runners stepped in C++ with the GIL released.

A thin binding: it checks its inputs once per call, fills the C++ structs from
``qwop_fast.runner_table`` and ``qwop_fast.options.EnvOptions``, owns the
numpy output buffers, and hands their pointers to ``qwop::Batch``
(ext/qwop_runner.cpp), which does all the physics.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint64_t, uintptr_t
from libcpp cimport bool as cbool

from qwop_fast import runner_table as T
from qwop_fast.options import EnvOptions

cnp.import_array()

cdef extern from "<box2d/box2d.h>" nogil:
    cdef cppclass b2Vec2:
        float x, y
    cdef cppclass b2Body:
        float GetMass() const
        float GetInertia() const
        const b2Vec2& GetPosition() const
        float GetAngle() const
    cdef cppclass b2RevoluteJoint:
        const b2Vec2& GetLocalAnchorA() const
        const b2Vec2& GetLocalAnchorB() const
        float GetReferenceAngle() const
        float GetLowerLimit() const
        float GetUpperLimit() const
        cbool IsMotorEnabled() const
        float GetMaxMotorTorque() const
        float GetJointAngle() const


cdef extern from "box2d_runner.h" namespace "qwop" nogil:
    const int kBodies
    const int kJoints
    const int kObs
    const int kMaxActions

    cdef struct BoxSpec:
        double x, y, angle, half_w, half_h, density, friction
        uint16_t category, mask

    cdef struct JointSpec:
        int body_a, body_b
        double local_a[2]
        double local_b[2]
        double reference_angle, lower, upper
        int motor
        double max_motor_torque

    cdef struct RunnerTable:
        double gravity[2]
        double time_step
        int velocity_iterations, position_iterations
        double clock_per_frame
        double wu_per_metre
        double track_top_y, track_half_height, track_x_min, track_x_max
        double track_friction, track_restitution, track_density
        uint16_t track_category, track_mask
        BoxSpec hurdle_base, hurdle_top
        double hurdle_top_offset[2]
        BoxSpec bodies[12]
        JointSpec joints[11]
        int torso, head
        int is_fall_part[12]
        int is_foot[12]
        double jump_x, finish_x
        double bound_min_m, bound_max_m
        double success_distance_m
        double head_torque_gain, head_torque_offset
        int thigh_joints[4]
        double thigh_speeds_q[4]
        double thigh_speeds_w[4]
        int calf_joints[2]
        double calf_speeds_o[2]
        double calf_speeds_p[2]
        int left_hip, right_hip
        double left_hip_limits_o[2]
        double right_hip_limits_o[2]
        double left_hip_limits_p[2]
        double right_hip_limits_p[2]
        int obs_body[12]
        float obs_centre[5]
        float obs_half_range[5]

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
        int auto_reset

    cdef struct Outputs:
        float* obs
        float* terminal_obs
        float* reward
        uint8_t* terminated
        uint8_t* truncated
        uint8_t* is_success
        double* distance
        double* game_time
        int32_t* episode_step
        float* joint_angle
        float* joint_limits
        float* body_pose

    cdef cppclass Runner:
        double distance_m() const
        double game_time() const
        int episode_step() const
        cbool fallen() const
        cbool landed() const
        cbool ended() const
        void WritePose(float* pose) const
        void WriteHurdlePose(float* pose) const
        const b2Body* body(int i) const
        const b2RevoluteJoint* joint(int j) const

    cdef cppclass Batch:
        Batch(const RunnerTable& table, const Options& options, int n_envs, int num_threads) except +
        int n_envs() const
        int num_threads() const
        void SetOutputs(const Outputs& out)
        void Step(const int64_t* actions)
        void Reset(const uint8_t* mask)
        void RunRandom(int n_steps, uint64_t seed)
        void SetOptions(const Options& options)
        const Runner& runner(int i) const

    void InitBox2DStatics()


# Once, on the importing (main) thread, before any worker exists.
InitBox2DStatics()


cdef void _fill_box(BoxSpec* box, spec, int category, int mask):
    box.x, box.y, box.angle = spec.x, spec.y, getattr(spec, "angle", 0.0)
    box.half_w, box.half_h = spec.half_w, spec.half_h
    box.density, box.friction = spec.density, spec.friction
    box.category, box.mask = category, mask


cdef RunnerTable _build_table() except *:
    """runner_table.py -> RunnerTable (the one place the numbers come from)."""
    cdef RunnerTable t
    cdef int i, j
    bi = T.BODY_INDEX
    ji = T.JOINT_INDEX
    t.gravity[0], t.gravity[1] = T.GRAVITY
    t.time_step = T.TIME_STEP
    t.velocity_iterations = T.VELOCITY_ITERATIONS
    t.position_iterations = T.POSITION_ITERATIONS
    t.clock_per_frame = T.CLOCK_PER_FRAME
    t.wu_per_metre = T.WU_PER_METRE
    t.track_top_y = T.TRACK.top_y
    t.track_half_height = T.TRACK.half_height
    t.track_x_min, t.track_x_max = T.TRACK.x_min, T.TRACK.x_max
    t.track_friction = T.TRACK.friction
    t.track_restitution = T.TRACK.restitution
    t.track_density = T.TRACK.density
    t.track_category, t.track_mask = T.CATEGORY_TRACK, T.MASK_TRACK
    _fill_box(&t.hurdle_base, T.HURDLE_BASE, T.HURDLE_BASE.category, T.HURDLE_BASE.mask)
    _fill_box(&t.hurdle_top, T.HURDLE_TOP, T.HURDLE_TOP.category, T.HURDLE_TOP.mask)
    t.hurdle_top_offset[0], t.hurdle_top_offset[1] = T.HURDLE_TOP_OFFSET
    if len(T.BODIES) != kBodies or len(T.JOINTS) != kJoints:
        raise ValueError(f"runner_table must have {kBodies} bodies and {kJoints} joints")
    for i, body in enumerate(T.BODIES):
        _fill_box(&t.bodies[i], body, T.CATEGORY_RUNNER, T.MASK_RUNNER)
        t.is_fall_part[i] = body.name in T.FALL_PARTS
        t.is_foot[i] = body.name in T.FOOT_PARTS
    for j, joint in enumerate(T.JOINTS):
        t.joints[j].body_a = bi[joint.body_a]
        t.joints[j].body_b = bi[joint.body_b]
        (t.joints[j].local_a[0], t.joints[j].local_a[1]), \
            (t.joints[j].local_b[0], t.joints[j].local_b[1]) = T.JOINT_LOCAL_ANCHORS[j]
        t.joints[j].reference_angle = joint.reference_angle
        t.joints[j].lower, t.joints[j].upper = joint.lower, joint.upper
        t.joints[j].motor = joint.motor
        t.joints[j].max_motor_torque = joint.max_motor_torque
    t.torso, t.head = bi["torso"], bi["head"]
    t.jump_x, t.finish_x = T.JUMP_X, T.FINISH_X
    t.bound_min_m, t.bound_max_m = T.BOUND_MIN_M, T.BOUND_MAX_M
    t.success_distance_m = T.SUCCESS_DISTANCE_M
    t.head_torque_gain = T.HEAD_TORQUE_GAIN
    t.head_torque_offset = T.HEAD_TORQUE_ANGLE_OFFSET
    for i in range(4):
        t.thigh_joints[i] = ji[T.THIGH_JOINTS[i]]
        t.thigh_speeds_q[i] = T.THIGH_SPEEDS_Q[i]
        t.thigh_speeds_w[i] = T.THIGH_SPEEDS_W[i]
    for i in range(2):
        t.calf_joints[i] = ji[T.CALF_JOINTS[i]]
        t.calf_speeds_o[i] = T.CALF_SPEEDS_O[i]
        t.calf_speeds_p[i] = T.CALF_SPEEDS_P[i]
    t.left_hip, t.right_hip = ji["leftHip"], ji["rightHip"]
    t.left_hip_limits_o[0], t.left_hip_limits_o[1] = T.HIP_LIMITS_O["leftHip"]
    t.right_hip_limits_o[0], t.right_hip_limits_o[1] = T.HIP_LIMITS_O["rightHip"]
    t.left_hip_limits_p[0], t.left_hip_limits_p[1] = T.HIP_LIMITS_P["leftHip"]
    t.right_hip_limits_p[0], t.right_hip_limits_p[1] = T.HIP_LIMITS_P["rightHip"]
    for i, name in enumerate(T.OBS_BODY_ORDER):
        t.obs_body[i] = bi[name]
    for i in range(5):
        t.obs_centre[i] = T.OBS_CENTRE[i]
        t.obs_half_range[i] = T.OBS_HALF_RANGE[i]
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
    o.auto_reset = auto_reset
    return o


def _readonly(arr):
    view = arr.view()
    view.flags.writeable = False
    return view


def default_num_threads():
    """The number of cores this process may run on."""
    import os
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _check_count(name, value, lo, hi):
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    value = int(value)
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    return value


cdef class Engine:
    """``n_envs`` independent QWOP runners, each in its own Box2D world.

    ``step(actions)`` holds each env's keys for ``frames_per_step`` frames and
    writes the results into this object's numpy buffers (read-only views are
    exposed as attributes; they are overwritten by the next call):

    obs (n, 60) float32, reward (n,) float32, terminated / truncated /
    is_success (n,) bool, distance (n,) metres, game_time (n,) clock seconds,
    episode_step (n,) int32, terminal_obs (n, 60) float32 (rows of envs that
    ended in this step), joint_angle (n, 11), joint_limits (n, 11, 2) and
    body_pose (n, 12, 3) float32.

    With ``auto_reset`` (the default, SB3's convention) an env that ended has
    its final observation copied to ``terminal_obs`` and its world rebuilt in
    the same call, so ``obs`` holds the start pose; every other buffer still
    describes the step that ended. ``num_threads`` native threads share the
    worlds (default: usable cores; 0 or 1: none).

    The engine is not meant to be called from several Python threads at once;
    such a call raises RuntimeError instead of racing.
    """

    cdef Batch* _batch
    cdef Options _options
    cdef object _env_options
    cdef bint _busy
    cdef readonly int n_envs
    cdef readonly bint auto_reset
    cdef object _obs, _terminal_obs, _reward, _terminated, _truncated, _is_success
    cdef object _distance, _game_time, _episode_step, _joint_angle, _joint_limits, _body_pose
    cdef object _actions, _reset_mask
    # Read-only views of the buffers, made once (C++ writes through pointers).
    cdef readonly object obs, terminal_obs, reward, terminated, truncated, is_success
    cdef readonly object distance, game_time, episode_step, joint_angle, joint_limits, body_pose

    def __cinit__(self, n_envs=1, num_threads=None, auto_reset=True, **env_kwargs):
        self._batch = NULL
        n_envs = _check_count("n_envs", n_envs, 1, 1_000_000)
        if num_threads is None:
            num_threads = default_num_threads()
        num_threads = _check_count("num_threads", num_threads, 0, 1024)
        if not isinstance(auto_reset, (bool, np.bool_)):
            raise TypeError(f"auto_reset must be a bool, got {auto_reset!r}")
        opts = EnvOptions.from_kwargs(**env_kwargs)
        self.n_envs = n_envs
        self.auto_reset = bool(auto_reset)
        self._env_options = opts
        self._options = _build_options(opts, self.auto_reset)
        cdef RunnerTable table = _build_table()

        n = n_envs
        self._obs = np.zeros((n, kObs), np.float32)
        self._terminal_obs = np.zeros((n, kObs), np.float32)
        self._reward = np.zeros(n, np.float32)
        self._terminated = np.zeros(n, np.bool_)
        self._truncated = np.zeros(n, np.bool_)
        self._is_success = np.zeros(n, np.bool_)
        self._distance = np.zeros(n, np.float64)
        self._game_time = np.zeros(n, np.float64)
        self._episode_step = np.zeros(n, np.int32)
        self._joint_angle = np.zeros((n, kJoints), np.float32)
        self._joint_limits = np.zeros((n, kJoints, 2), np.float32)
        self._body_pose = np.zeros((n, kBodies, 3), np.float32)
        self._actions = np.zeros(n, np.int64)
        self._reset_mask = np.zeros(n, np.uint8)

        # Runner construction builds every world once (no GIL needed, but it
        # is quick and happens once).
        self._batch = new Batch(table, self._options, n_envs, max(1, min(num_threads, n_envs)))
        cdef Outputs out
        out.obs = <float*> cnp.PyArray_DATA(self._obs)
        out.terminal_obs = <float*> cnp.PyArray_DATA(self._terminal_obs)
        out.reward = <float*> cnp.PyArray_DATA(self._reward)
        out.terminated = <uint8_t*> cnp.PyArray_DATA(self._terminated)
        out.truncated = <uint8_t*> cnp.PyArray_DATA(self._truncated)
        out.is_success = <uint8_t*> cnp.PyArray_DATA(self._is_success)
        out.distance = <double*> cnp.PyArray_DATA(self._distance)
        out.game_time = <double*> cnp.PyArray_DATA(self._game_time)
        out.episode_step = <int32_t*> cnp.PyArray_DATA(self._episode_step)
        out.joint_angle = <float*> cnp.PyArray_DATA(self._joint_angle)
        out.joint_limits = <float*> cnp.PyArray_DATA(self._joint_limits)
        out.body_pose = <float*> cnp.PyArray_DATA(self._body_pose)
        self._batch.SetOutputs(out)
        self._batch.Reset(NULL)
        self.obs = _readonly(self._obs)
        self.terminal_obs = _readonly(self._terminal_obs)
        self.reward = _readonly(self._reward)
        self.terminated = _readonly(self._terminated)
        self.truncated = _readonly(self._truncated)
        self.is_success = _readonly(self._is_success)
        self.distance = _readonly(self._distance)
        self.game_time = _readonly(self._game_time)
        self.episode_step = _readonly(self._episode_step)
        self.joint_angle = _readonly(self._joint_angle)
        self.joint_limits = _readonly(self._joint_limits)
        self.body_pose = _readonly(self._body_pose)

    def __dealloc__(self):
        if self._batch != NULL:
            del self._batch
            self._batch = NULL

    # ------------------------------------------------------------------ state
    cdef inline void _check_open(self) except *:
        if self._batch == NULL:
            raise RuntimeError("this Engine is closed")
        if self._busy:
            raise RuntimeError("this Engine is already stepping in another thread; "
                               "an Engine is not thread-safe")

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
        arr = np.asarray(actions)
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                hint = " (cast with .astype(int) if these floats are meant as indices)"
            else:
                hint = ""
            raise TypeError(f"actions must be an integer array of shape ({self.n_envs},) "
                            f"with values in [0, {self._options.n_actions - 1}], "
                            f"got dtype {arr.dtype}{hint}")
        if arr.ndim == 0 and self.n_envs == 1:
            arr = arr.reshape(1)
        if arr.shape != (self.n_envs,):
            raise ValueError(f"actions must have shape ({self.n_envs},) (one action per env), "
                             f"got shape {arr.shape}")
        if arr.size:
            lo, hi = arr.min(), arr.max()
            if lo < 0 or hi >= self._options.n_actions:
                bad = int(lo) if lo < 0 else int(hi)
                raise ValueError(f"actions must be in [0, {self._options.n_actions - 1}] "
                                 f"({'reduced 9-action' if self._options.n_actions == 9 else 'full 16-action'} set), "
                                 f"got {bad}")
        return arr

    def step(self, actions):
        """Advance every env by one step (frames_per_step frames) with ``actions``.

        actions: integer array of shape (n_envs,), each in [0, n_actions).
        The results are in the buffers (obs, reward, terminated, ...).
        """
        self._check_open()
        arr = self._validate_actions(actions)
        np.copyto(self._actions, arr, casting="unsafe")  # int kinds, range checked
        cdef const int64_t* actions_ptr = <const int64_t*> cnp.PyArray_DATA(self._actions)
        self._busy = True
        try:
            with nogil:
                self._batch.Step(actions_ptr)
        finally:
            self._busy = False

    def reset(self, indices=None):
        """Rebuild the worlds of ``indices`` (all when None); returns obs (view).

        The other envs are left exactly as they were.
        """
        self._check_open()
        cdef const uint8_t* mask_ptr = NULL
        if indices is not None:
            idx = np.asarray(indices)
            if idx.dtype.kind not in "iu" or idx.ndim > 1:
                raise TypeError(f"indices must be None, an int or a 1-d integer array of env "
                                f"indices in [0, {self.n_envs - 1}], got {indices!r}")
            idx = idx.reshape(-1)
            if idx.size and (idx.min() < 0 or idx.max() >= self.n_envs):
                raise ValueError(f"indices must be in [0, {self.n_envs - 1}], got {indices!r}")
            self._reset_mask[:] = 0
            self._reset_mask[idx] = 1
            mask_ptr = <const uint8_t*> cnp.PyArray_DATA(self._reset_mask)
        self._busy = True
        try:
            with nogil:
                self._batch.Reset(mask_ptr)
        finally:
            self._busy = False
        return self.obs

    def set_options(self, **changes):
        """Change env options of a live engine (from the next step; options
        that shape the world, like hurdle, from each env's next reset).

        reduced_action_set cannot change: it changes the action space.
        """
        self._check_open()
        new = self._env_options.replace(**changes)
        if new.reduced_action_set != self._env_options.reduced_action_set:
            raise ValueError("reduced_action_set cannot be changed on a live engine "
                             "(it changes the action space); build a new one")
        # Batch keeps its own copy of Options that the runners point to.
        self._env_options = new
        self._options = _build_options(new, self.auto_reset)
        self._batch.SetOptions(self._options)

    def run_random(self, n_steps, seed=0):
        """The raw engine limit: ``n_steps`` batched steps of uniformly random
        actions drawn in C++, auto-resets included, with no Python in the loop."""
        self._check_open()
        n_steps = _check_count("n_steps", n_steps, 0, 2**31 - 1)
        seed = _check_count("seed", seed, 0, 2**64 - 1)
        cdef int steps = n_steps
        cdef uint64_t s = seed
        self._busy = True
        try:
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

    def current_body_pose(self):
        """(n, 12, 3) float32 x, y, angle of every body now (after any
        auto-reset), in the creation order of runner_table.BODIES."""
        self._check_open()
        out = np.zeros((self.n_envs, kBodies, 3), np.float32)
        cdef float[:, :, ::1] view = out
        cdef int i
        for i in range(self.n_envs):
            self._batch.runner(i).WritePose(&view[i, 0, 0])
        return out

    def current_hurdle_pose(self):
        """(n, 2, 3) float32 x, y, angle of the hurdle base and top bar now
        (NaN when the env has no hurdle)."""
        self._check_open()
        out = np.zeros((self.n_envs, 2, 3), np.float32)
        cdef float[:, :, ::1] view = out
        cdef int i
        for i in range(self.n_envs):
            self._batch.runner(i).WriteHurdlePose(&view[i, 0, 0])
        return out

    def describe_world(self, int env=0):
        """The runner as Box2D built it in env ``env`` (for cross-checks):
        {"bodies": {name: {mass, inertia, x, y, angle}},
         "joints": {name: {local_anchor_a, local_anchor_b, reference_angle,
                           lower, upper, motor, max_motor_torque, angle}}}."""
        self._check_open()
        if not 0 <= env < self.n_envs:
            raise ValueError(f"env must be in [0, {self.n_envs - 1}], got {env}")
        cdef const Runner* r = &self._batch.runner(env)
        cdef const b2Body* b
        cdef const b2RevoluteJoint* jt
        bodies = {}
        for i, name in enumerate(T.BODY_NAMES):
            b = r.body(i)
            bodies[name] = dict(mass=b.GetMass(), inertia=b.GetInertia(), x=b.GetPosition().x,
                                y=b.GetPosition().y, angle=b.GetAngle())
        joints = {}
        for j, name in enumerate(T.JOINT_NAMES):
            jt = r.joint(j)
            joints[name] = dict(
                local_anchor_a=(jt.GetLocalAnchorA().x, jt.GetLocalAnchorA().y),
                local_anchor_b=(jt.GetLocalAnchorB().x, jt.GetLocalAnchorB().y),
                reference_angle=jt.GetReferenceAngle(), lower=jt.GetLowerLimit(),
                upper=jt.GetUpperLimit(), motor=jt.IsMotorEnabled(),
                max_motor_torque=jt.GetMaxMotorTorque(), angle=jt.GetJointAngle())
        return {"bodies": bodies, "joints": joints}

    def close(self):
        """Free every world. Further calls raise RuntimeError."""
        if self._busy:
            raise RuntimeError("cannot close an Engine while it is stepping")
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
