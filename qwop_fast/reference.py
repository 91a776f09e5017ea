"""``ReferenceQWOPEnv``: the QWOP runner in plain Python on pybox2d.

What it is for
--------------
* **The baseline.** It is the "obvious" way to build a QWOP env (the way
  bicrick/qwop-python does it), so ``bench/crosscheck.py`` times ``QWOPEnv``
  against it.
* **The cross-check.** It is a second, independent implementation of the
  C++ runner (``ext/qwop_runner.cpp``) on a different Box2D (pybox2d ships
  Box2D 2.3.10; the C++ engine links Box2D 2.4.1). Both read every number
  from ``qwop_fast/runner_table.py``, so wherever they disagree the cause is
  either a bug or a difference between the two Box2D versions.
  ``tests/test_reference.py`` and ``bench/CROSSCHECK.md`` measure how far
  they agree.

It is a drop-in ``gymnasium.Env`` for ``QWOPEnv``: same options
(``qwop_fast.EnvOptions``), spaces, observation, reward, termination,
truncation and ``info`` keys. It does not render. Install it with
``pip install qwop-fast[reference]`` (it needs ``Box2D==2.3.10``);
``import qwop_fast`` alone never imports Box2D.

How one env step runs (the same as the C++ runner, spec sections in brackets)
------------------------------------------------------------------------------
``reset`` throws the old b2World away and builds a new one in the original
creation order: track box, hurdle (one body: base and top bar), the 12 runner
bodies, the 11 joints [spec 1]. ``step(action)`` holds the action's keys for
``frames_per_step`` frames; each frame [spec 6.1]:

1. the game clock ticks (until the game has ended);
2. unless the runner has fallen, the head gets the stabiliser torque
   ``-4 * (head.angle + 0.2)`` [spec 6.3];
3. the keys set the motor speeds and, for O/P, the hip limits [spec 5];
4. the world steps 0.04 s (5 velocity, 5 position iterations); contact
   begin events set the fallen / jumped / landed flags [spec 6.4, 6.5].

A landing pauses the physics; a fall lets it run on to the end of the step.
Then the qwop-gym reward and the termination rules are applied [spec 7.3, 7.5].
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

try:
    import Box2D
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "qwop_fast.reference needs pybox2d (the 'Box2D' package, version 2.3.10). "
        "Install it with:  pip install 'qwop-fast[reference]'   (or: pip install Box2D==2.3.10)"
    ) from exc

from . import contract
from . import runner_table
from .options import EnvOptions

__all__ = ["ReferenceQWOPEnv"]

_OBS_CENTRE = np.array(runner_table.OBS_CENTRE, np.float32)
_OBS_HALF_RANGE = np.array(runner_table.OBS_HALF_RANGE, np.float32)
_FALL_PARTS = frozenset(runner_table.FALL_PARTS)
_FOOT_PARTS = frozenset(runner_table.FOOT_PARTS)
_TRACK = "track"  # fixture userData tag of the track; runner fixtures carry their body name


class _ContactRules(Box2D.b2ContactListener):
    """The game's contact rules [spec 6.4, 6.5]; Box2D calls BeginContact
    from inside ``world.Step`` whenever two fixtures start touching."""

    def __init__(self) -> None:
        super().__init__()
        self.fallen = self.jumped = self.landed = False

    def BeginContact(self, contact: Any) -> None:  # noqa: N802 (Box2D's name)
        tag_a, tag_b = contact.fixtureA.userData, contact.fixtureB.userData
        # Both orders are tested; Box2D gives (track, part) in practice.
        if tag_a == _TRACK and tag_b in runner_table.BODY_INDEX:
            part = tag_b
        elif tag_b == _TRACK and tag_a in runner_table.BODY_INDEX:
            part = tag_a
        else:
            return  # the hurdle, or the hurdle against the track
        if part in _FALL_PARTS:
            if not self.fallen:
                self.fallen = True
                # A fall after the jump trigger also counts as the (failed) landing.
                if self.jumped and not self.landed:
                    self.landed = True
        elif part in _FOOT_PARTS and not self.fallen:
            # maxX over both manifold slots, as the original scans them: an
            # unused slot reads (0, 0), so a one-point contact at negative x
            # gives maxX = 0.
            count = contact.manifold.pointCount
            points = contact.worldManifold.points
            max_x = max(points[k][0] if k < count else 0.0 for k in range(2))
            if not self.jumped and max_x > runner_table.JUMP_X:
                self.jumped = True
            if self.jumped and not self.landed and max_x > runner_table.FINISH_X:
                self.landed = True


# pybox2d leaks the shape copy of every b2FixtureDef it builds (~300 bytes,
# pybox2d issue #121), so the fixture definitions are built once per
# (shape, material, filter, tag) and reused by every reset; Box2D copies a
# definition into each new fixture, so sharing them is safe.
_FIXTURE_DEFS: dict[tuple, Box2D.b2FixtureDef] = {}


def _box_fixture(half_w: float, half_h: float, density: float, friction: float,
                 category: int, mask: int, tag: str,
                 centre: tuple[float, float] = (0.0, 0.0)) -> Box2D.b2FixtureDef:
    key = (half_w, half_h, density, friction, category, mask, tag, centre)
    if key not in _FIXTURE_DEFS:
        _FIXTURE_DEFS[key] = Box2D.b2FixtureDef(
            shape=Box2D.b2PolygonShape(box=(half_w, half_h, centre, 0.0)),
            density=density, friction=friction, restitution=0.0,
            filter=Box2D.b2Filter(categoryBits=category, maskBits=mask, groupIndex=0),
            userData=tag,
        )
    return _FIXTURE_DEFS[key]


def _dynamic_box(world: Box2D.b2World, spec: Any, category: int, mask: int, awake: bool) -> Box2D.b2Body:
    body = world.CreateBody(Box2D.b2BodyDef(
        type=Box2D.b2_dynamicBody, position=(spec.x, spec.y),
        angle=getattr(spec, "angle", 0.0), awake=awake))
    body.CreateFixture(_box_fixture(spec.half_w, spec.half_h, spec.density, spec.friction,
                                    category, mask, spec.name))
    return body


class ReferenceQWOPEnv(gym.Env):
    """QWOP on pybox2d: the same env as ``QWOPEnv``, in plain Python.

    Observation: Box(-1, 1, (60,), float32); action: Discrete(9) or (16);
    reward, termination, truncation and ``info`` (distance, game_time,
    is_success, episode_step) as ``QWOPEnv``. Options: ``EnvOptions``; each
    is also an attribute (set: from the next step; world-shaping ones, i.e.
    hurdle and head_torque_accumulates, from the next reset).
    """

    metadata = contract.metadata()

    def __init__(self, render_mode: str | None = None, **env_kwargs: Any) -> None:
        if render_mode is not None:
            raise ValueError("ReferenceQWOPEnv does not render (render_mode must be None); "
                             "use qwop_fast.QWOPEnv to watch a runner")
        self.env_options = EnvOptions.from_kwargs(**env_kwargs)
        self.render_mode = None
        self.observation_space = contract.observation_space()
        self.action_space = contract.action_space(self.env_options)
        self._rules = _ContactRules()
        self._world: Box2D.b2World | None = None
        self._build_world()
        self._needs_reset = True

    # ------------------------------------------------------------- the world
    def _build_world(self) -> None:
        """A fresh b2World in the original creation order [spec 1]. Nothing of
        the previous world survives, so every episode starts bit-identically."""
        o = self.env_options
        self._world = None  # the old world (and every body in it) goes first
        world = Box2D.b2World(gravity=runner_table.GRAVITY, doSleep=True)
        world.contactListener = self._rules
        # Box2D clears forces after each Step unless told not to; the head
        # torque is the only force the game applies, so not clearing =
        # accumulating it [spec 6.3].
        world.autoClearForces = not o.head_torque_accumulates

        tr = runner_table.TRACK
        track = world.CreateBody(Box2D.b2BodyDef(
            type=Box2D.b2_staticBody,
            position=(0.5 * (tr.x_min + tr.x_max), tr.top_y + tr.half_height)))
        track.CreateFixture(_box_fixture(0.5 * (tr.x_max - tr.x_min), tr.half_height, tr.density,
                                         tr.friction, runner_table.CATEGORY_TRACK, runner_table.MASK_TRACK, _TRACK))
        self._hurdle: Box2D.b2Body | None = None
        if o.hurdle:
            # One rigid body, base + top bar (see HURDLE_TOP_OFFSET in
            # runner_table.py). Created asleep as in the game; Box2D 2.3 wakes
            # it on frame 1 (its AABB overlaps the track's), and it settles.
            spec = runner_table.HURDLE_BASE
            base = _dynamic_box(world, spec, spec.category, spec.mask, False)
            top = runner_table.HURDLE_TOP
            base.CreateFixture(_box_fixture(top.half_w, top.half_h, top.density, top.friction,
                                            top.category, top.mask, top.name, runner_table.HURDLE_TOP_OFFSET))
            self._hurdle = base

        self._bodies = [_dynamic_box(world, b, runner_table.CATEGORY_RUNNER, runner_table.MASK_RUNNER, True)
                        for b in runner_table.BODIES]
        self._joints = []
        for spec, (local_a, local_b) in zip(runner_table.JOINTS, runner_table.JOINT_LOCAL_ANCHORS):
            self._joints.append(world.CreateRevoluteJoint(
                bodyA=self._bodies[runner_table.BODY_INDEX[spec.body_a]],
                bodyB=self._bodies[runner_table.BODY_INDEX[spec.body_b]],
                localAnchorA=local_a, localAnchorB=local_b,
                referenceAngle=spec.reference_angle,  # explicit, never from the pose [spec 4.1]
                enableLimit=True, lowerAngle=spec.lower, upperAngle=spec.upper,
                enableMotor=spec.motor, maxMotorTorque=spec.max_motor_torque, motorSpeed=0.0))
        self._world = world

        joint = {name: self._joints[i] for name, i in runner_table.JOINT_INDEX.items()}
        self._head = self._bodies[runner_table.BODY_INDEX["head"]]
        self._torso = self._bodies[runner_table.BODY_INDEX["torso"]]
        self._obs_bodies = [self._bodies[runner_table.BODY_INDEX[n]] for n in runner_table.OBS_BODY_ORDER]
        self._thigh_joints = [joint[n] for n in runner_table.THIGH_JOINTS]
        self._calf_joints = [joint[n] for n in runner_table.CALF_JOINTS]
        self._left_hip, self._right_hip = joint["leftHip"], joint["rightHip"]

        self._rules.fallen = self._rules.jumped = self._rules.landed = False
        self._ended = self._paused = False
        self._clock_frames = 0  # frames the game clock ran (it stops when the game ends)
        self._steps = 0
        self._success = False
        self._prev_time = 0.0
        self._prev_distance = 0.0 if o.first_step_reference == "origin" else self._distance()

    def _distance(self) -> float:
        """Torso x in displayed metres (float32 position, double division)."""
        return self._torso.position.x / runner_table.WU_PER_METRE

    def _game_time(self) -> float:
        return self._clock_frames * runner_table.CLOCK_PER_FRAME

    # -------------------------------------------------------- one game frame
    def _apply_keys(self, keys: int) -> None:
        """Q wins over W, O over P; with neither, the motors brake at speed 0.
        O/P also rewrite the hip limits, which keep their value when released [spec 5]."""
        if keys & runner_table.KEY_Q:
            thigh = runner_table.THIGH_SPEEDS_Q
        elif keys & runner_table.KEY_W:
            thigh = runner_table.THIGH_SPEEDS_W
        else:
            thigh = (0.0, 0.0, 0.0, 0.0)
        for joint, speed in zip(self._thigh_joints, thigh):
            joint.motorSpeed = speed
        limits = None
        if keys & runner_table.KEY_O:
            calf, limits = runner_table.CALF_SPEEDS_O, runner_table.HIP_LIMITS_O
        elif keys & runner_table.KEY_P:
            calf, limits = runner_table.CALF_SPEEDS_P, runner_table.HIP_LIMITS_P
        else:
            calf = (0.0, 0.0)
        for joint, speed in zip(self._calf_joints, calf):
            joint.motorSpeed = speed
        if limits is not None:
            self._left_hip.SetLimits(*limits["leftHip"])
            self._right_hip.SetLimits(*limits["rightHip"])

    def _frame(self, keys: int) -> None:
        """One game frame in the original's update order [spec 6.1]."""
        rules = self._rules
        if not self._ended:
            self._clock_frames += 1
        if not rules.fallen:
            head = self._head
            head.ApplyTorque(runner_table.HEAD_TORQUE_GAIN * (head.angle + runner_table.HEAD_TORQUE_ANGLE_OFFSET), True)
        self._apply_keys(keys)
        self._world.Step(runner_table.TIME_STEP, runner_table.VELOCITY_ITERATIONS, runner_table.POSITION_ITERATIONS)
        # BeginContact (inside Step) has set the flags.
        if rules.landed and not self._ended:
            self._ended = self._paused = True  # the game stops the physics on landing
        elif rules.fallen and not self._ended:
            self._ended = True  # the ragdoll keeps collapsing; the clock stops

    # ------------------------------------------------------------------- API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Rebuild the world (the physics has no randomness; ``seed`` seeds
        ``np_random`` and the action space only)."""
        contract.begin_reset(self, seed, options)
        self._build_world()
        self._needs_reset = False
        return self._observation(), self._info()

    def step(self, action: Any):
        contract.check_started(self._needs_reset)
        o = self.env_options
        keys = o.action_keys[contract.check_action(action, o.n_actions)]
        for _ in range(o.frames_per_step):
            if self._paused:
                break
            self._frame(keys)
        self._steps += 1

        # qwop-gym reward [spec 7.3]: d in metres, time = clock / 10.
        d = self._distance()
        time = self._game_time() / 10.0
        dt = time - self._prev_time
        v = (d - self._prev_distance) / dt if dt > 0.0 else 0.0  # no velocity over no time
        reward = o.speed_rew_mult * v - dt * o.time_cost_mult / o.frames_per_step
        self._prev_distance, self._prev_time = d, time

        # Termination [spec 7.5]; the torso bounds apply under both success rules.
        terminated = self._ended or d < runner_table.BOUND_MIN_M or d > runner_table.BOUND_MAX_M
        success = False
        if terminated:
            if o.success_rule == "game":
                success = self._rules.landed and not self._rules.fallen
            else:
                success = d > runner_table.SUCCESS_DISTANCE_M
            reward += o.success_reward if success else -o.failure_cost
        truncated = (not terminated and o.max_episode_steps > 0
                     and self._steps >= o.max_episode_steps)
        self._needs_reset = terminated or truncated
        self._success = success
        # float32 like QWOPEnv's reward buffer, so both return the same float.
        return self._observation(), float(np.float32(reward)), terminated, truncated, self._info()

    def _observation(self) -> np.ndarray:
        """12 bodies x (x, y, angle, vx, vy), normalised in float32 and clipped [spec 7.1]."""
        raw = np.empty((len(self._obs_bodies), 5), np.float32)
        for row, body in zip(raw, self._obs_bodies):
            p, v = body.position, body.linearVelocity
            row[:] = (p.x, p.y, body.angle, v.x, v.y)
        return np.clip((raw - _OBS_CENTRE) / _OBS_HALF_RANGE, np.float32(-1), np.float32(1)).reshape(-1)

    def _info(self) -> dict[str, Any]:
        return contract.info(self._distance(), self._game_time(), self._success, self._steps)

    def close(self) -> None:
        self._world = None
        self._bodies, self._joints, self._obs_bodies = [], [], []
        self._head = self._torso = self._hurdle = None
        self._thigh_joints, self._calf_joints = [], []
        self._left_hip = self._right_hip = None
        self._needs_reset = True

    # ------------------------------------------------------------ inspection
    @property
    def joint_angle(self) -> np.ndarray:
        """(11,) float32 joint angles now."""
        return np.array([j.angle for j in self._joints], np.float32)

    @property
    def joint_limits(self) -> np.ndarray:
        """(11, 2) float32 current joint limits (hips change with O/P)."""
        return np.array([j.limits for j in self._joints], np.float32).reshape(len(runner_table.JOINTS), 2)

    @property
    def body_pose(self) -> np.ndarray:
        """(12, 3) float32 x, y, angle of each body now, in creation order."""
        return np.array([(b.position.x, b.position.y, b.angle) for b in self._bodies], np.float32)

    @property
    def hurdle_pose(self) -> np.ndarray:
        """(2, 3) float32 x, y, angle of the hurdle base and top bar now (NaN
        without a hurdle), as ``Engine.current_hurdle_pose()``."""
        if self._hurdle is None:
            return np.full((2, 3), np.nan, np.float32)
        h = self._hurdle
        top = h.GetWorldPoint(runner_table.HURDLE_TOP_OFFSET)
        return np.array([(h.position.x, h.position.y, h.angle), (top[0], top[1], h.angle)], np.float32)

    def flags(self) -> tuple[bool, bool, bool]:
        """The game flags now: fallen, landed, ended (as ``Engine.flags()``)."""
        return self._rules.fallen, self._rules.landed, self._ended

    def describe_world(self) -> dict[str, Any]:
        """The runner as Box2D built it, in the layout of
        ``qwop_fast._engine.Engine.describe_world()`` (for cross-checks)."""
        bodies = {
            name: dict(mass=b.mass, inertia=b.inertia, x=b.position.x, y=b.position.y, angle=b.angle)
            for name, b in zip(runner_table.BODY_NAMES, self._bodies)
        }
        joints = {}
        for name, j in zip(runner_table.JOINT_NAMES, self._joints):
            a, b = j.GetLocalAnchorA(), j.GetLocalAnchorB()
            joints[name] = dict(
                local_anchor_a=(a.x, a.y), local_anchor_b=(b.x, b.y),
                reference_angle=j.GetReferenceAngle(), lower=j.lowerLimit, upper=j.upperLimit,
                motor=j.motorEnabled, max_motor_torque=j.GetMaxMotorTorque(), angle=j.angle)
        return {"bodies": bodies, "joints": joints}


def _set_option(env: ReferenceQWOPEnv, name: str, value: Any) -> None:
    # Read where it applies: each step reads env_options, reset rebuilds the world from it.
    env.env_options = contract.replaced_options(env.env_options, name, value)


contract.add_option_properties(ReferenceQWOPEnv, _set_option)
