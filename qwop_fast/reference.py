"""``ReferenceQWOPEnv``: the QWOP runner in plain Python on pybox2d.

What it is for
--------------
* **The Box2D-library baseline.** It is the "obvious" way to build a QWOP env
  (the way bicrick/qwop-python does it): the game's world and rules written
  in Python over a stock Box2D (pybox2d ships Box2D 2.3.10, in float32).
  ``bench/crosscheck.py`` times ``QWOPEnv`` against it.
* **The cross-check.** It is a second, independent implementation of the
  game's rules, following the C++ runner (``ext/qwop_runner.cpp``:
  ``Runner::Reset``, ``Frame``, ``PlaceTrack``, ``ApplyKeys``, ``EndGame``,
  ``BeginContact``, ``Step``) as their executable spec. Both read every
  number from ``qwop_fast/runner_table.py``. The C++ engine is the game's own
  Box2D 2.1a-style arithmetic, bit for bit; this env is the same world and
  rules on a different solver, so ``tests/test_reference.py`` and
  ``bench/CROSSCHECK.md`` can measure how far a stock Box2D is from the game
  (``bench/crosscheck.reference_fidelity`` compares it with the real game's
  recordings in ``../shared/oracle``).

It is a drop-in ``gymnasium.Env`` for ``QWOPEnv``: same options
(``qwop_fast.EnvOptions``, ``intro_frames`` included), spaces, observation,
reward, termination, truncation, ``info`` keys, ``body_state``,
``body_names``, ``action_names``. It does not render. Install it with
``pip install qwop-fast[reference]`` (it needs ``Box2D==2.3.10``);
``import qwop_fast`` alone never imports Box2D.

The world and the rules (oracle facts in brackets: ../shared/oracle/README.md)
-------------------------------------------------------------------------------
``reset`` throws the old b2World away and builds a new one in the game's
creation order [F14]: a fixture-less static ground body; three static track
segments created at (0, 0) and then placed with two ``SetTransform`` calls
(position, then angle), as the game's sprites are; the static block (the
wall behind the start); the hurdle base and top bar created asleep at their
positions and joined by a revolute joint locked at lower = upper = 0 [F12];
the 12 runner parts created at the origin and then placed; the 11 joints
with the game's exact local anchors; the keyed joints (hips, knees,
shoulders) get speed 0 and their limit and motor enabled [F15]. The intro
screen runs ``intro_frames`` frames before the click (track placement and
head torque, no step) [F13], drawn at each reset from the env's seed with
the C++ engine's own generator (splitmix64 seed, xorshift64* stream), so a
seed gives the same intro frames in both envs.

One frame, in the game's update order [F8]:

1. the clock ticks 1/30 s unless the game has ended or paused;
2. the three track segments are re-placed from the previous frame's camera:
   segment i to x = (floor(camera_x / 640) + i) * 32, only when it changes [F11];
3. unless the runner has fallen, the head gets ``-4 * (head.angle + 0.2)``
   added to a torque nothing clears (``world.autoClearForces = False``): a
   running sum, which Box2D 2.3's ``SetAwake(false)`` zeroes when the
   island falls asleep, as the game's does [F7];
4. the keys set the motor speeds and, for O/P, the hip limits [F9];
5. unless paused, the world steps 0.04 s (5 velocity, 5 position
   iterations); begin-contact events set the fallen / jumped / landed flags
   with the game's ``beginContact`` [F10];
6. the camera follows the torso (x = (torso x - 14) * 20 px) unless the torso
   is above y = -5 or the runner has fallen [F11];
7. a landing pauses the physics and ends the game; a fall ends the game and
   lets the ragdoll run on. At the end the hips stop (speed 0, motor off,
   limits kept) and the knees and shoulders go limp [F9].

What pybox2d cannot do as the game does
---------------------------------------
The world and the rules are the game's; the solver is not, so trajectories
part from the game's within the first frames (``bench/CROSSCHECK.md``):

* **float32.** pybox2d's Box2D is single precision; the game computes in
  doubles. Positions, the table's numbers and every product are rounded to
  float32 (masses agree to ~2e-8 relative, the start pose to ~1e-7 wu).
* **Polygon radius** 2 * linearSlop = 0.01 (Box2D 2.3) instead of the game's
  0.005: every box is 0.005 wu fatter for contacts, so the runner stands
  0.01 wu higher.
* **b2_contactBaumgarte** is 0.2 (a compile-time constant, not settable from
  Python); the game corrects contact penetration in full (1.0) [F4].
* **The revolute joint** is Box2D 2.3's impulse formulation with a 3x3 block
  solve of point + limit, dtRatio-scaled warm starting and a Baumgarte-free
  NGS position step; the game's is the Box2D 2.0-style force-based one
  (2x2 point solve, then motor, then limit; no dtRatio) [F6]. The contact
  position step differs too: 2.3 weights it with the true inverse masses,
  the game with its "equalized" mass x invMass products [F5]. This, not
  the rules, is where the trajectories part.
* **Setters wake bodies.** Box2D 2.3's ``SetMotorSpeed``, ``EnableMotor``,
  ``EnableLimit`` and ``SetLimits`` wake both bodies (and ``SetLimits``
  resets the limit impulse); the game's only assign [F6]. Before a fall the
  head torque wakes the runner every frame anyway, so this only matters for
  a ragdoll that fell asleep after the game ended: the env puts it back to
  sleep after the key rules, as the game leaves it.
* **New contacts wake bodies.** Box2D 2.3 wakes both bodies when the broad
  phase creates a contact (``b2ContactManager::AddPair``); the game does
  not. The sleeping hurdle would wake and drop 0.068 wu onto the track as
  soon as a track segment is placed under it; the env puts it back to sleep
  (it has not moved yet) until a touching contact wakes it, which is when
  the game's wakes [F12].
* **Fixture order** follows proxy ids in both engines (the track's are the
  lowest, so it is fixture A), but ``beginContact`` accepts both orders and
  reads the pair as the game would: the track as ``r``, the part as ``n``.
"""

from __future__ import annotations

import math
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
from . import runner_table as T
from .options import EnvOptions

__all__ = ["ReferenceQWOPEnv", "intro_frames_stream"]

_OBS_CENTRE = np.array(T.OBS_CENTRE, np.float64)
_OBS_HALF_RANGE = np.array(T.OBS_HALF_RANGE, np.float64)
_OBS_ROWS = [T.BODY_INDEX[n] for n in T.OBS_BODY_ORDER]
_FALL_PARTS = frozenset(T.FALL_PARTS)
_LEFT_FOOT = "leftFoot"
_RIGHT_FOOT = "rightFoot"
_TRACK = "track"  # userData of the track segments (the game's own tag); parts carry their body name
_U64 = (1 << 64) - 1


# ------------------------------------------------- the intro_frames stream
def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _U64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _U64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _U64
    return x ^ (x >> 31)


class intro_frames_stream:  # noqa: N801 (a small value type, named like a function)
    """The C++ runner's random stream (``Runner::Seed``/``NextRandom``), in
    Python ints: splitmix64(seed), then xorshift64*. ``draw(low, high)`` is
    ``low + (((next >> 32) * span) >> 32)``, so the same seed gives the same
    intro frames as ``QWOPEnv``."""

    __slots__ = ("state",)

    def __init__(self, seed: int = 0) -> None:
        self.state = _splitmix64(int(seed) & _U64) or 1  # 0 is xorshift's fixed point

    def next(self) -> int:
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & _U64
        x ^= x >> 27
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & _U64

    def draw(self, low: int, high: int) -> int:
        if high <= low:
            return low  # no draw: the C++ runner does not advance its stream either
        return low + (((self.next() >> 32) * (high - low + 1)) >> 32)


# --------------------------------------------------------- beginContact
class _ContactRules(Box2D.b2ContactListener):
    """The game's ``Main.beginContact`` [F10]; Box2D calls BeginContact from
    inside ``world.Step`` when two fixtures start touching."""

    def __init__(self) -> None:
        super().__init__()
        self.fallen = self.jumped = self.landed = False

    def BeginContact(self, contact: Any) -> None:  # noqa: N802 (Box2D's name)
        # The game reads n = fixture B's body, r = fixture A's; the track's
        # proxies are the lowest, so in the game (and here, in practice) the
        # track is A. Only a track contact can change a flag, so the pair is
        # read as the game reads it whichever order Box2D gives.
        tag_a, tag_b = contact.fixtureA.userData, contact.fixtureB.userData
        if tag_a == _TRACK:
            n = tag_b
        elif tag_b == _TRACK:
            n = tag_a
        else:
            return  # runner-hurdle, hurdle-block...: neither branch has r == "track"
        if self.fallen:
            return  # both branches need !fallen
        if n == _LEFT_FOOT:
            # (the game's test is n == leftFoot || r == rightFoot; with the
            # track as r, only the left foot can jump or land)
            h = self._max_x(contact)
            if not self.jumped and h * T.WORLD_SCALE > T.JUMP_PX:
                self.jumped = True
            if self.jumped and not self.landed and h * T.WORLD_SCALE > T.FINISH_PX:
                self.landed = True
        elif n in _FALL_PARTS:
            self.fallen = True
            if self.jumped and not self.landed:
                self.landed = True  # a fall after the jump line counts as the landing

    @staticmethod
    def _max_x(contact: Any) -> float:
        # The largest x of both world-manifold slots; the game's unused slot
        # reads (0, 0), so a one-point contact at negative x gives 0.
        count = contact.manifold.pointCount
        points = contact.worldManifold.points
        return max(points[k][0] if k < count else 0.0 for k in range(2))


# pybox2d leaks the shape copy of every b2FixtureDef it builds (~300 bytes,
# pybox2d issue #121), so the fixture definitions are built once per
# (shape, material, filter, tag) and reused by every reset; Box2D copies a
# definition into each new fixture, so sharing them is safe.
_FIXTURE_DEFS: dict[tuple, Box2D.b2FixtureDef] = {}


def _fixture(half_w: float, half_h: float, density: float, friction: float,
             category: int, mask: int, tag: str | None) -> Box2D.b2FixtureDef:
    key = (half_w, half_h, density, friction, category, mask, tag)
    if key not in _FIXTURE_DEFS:
        _FIXTURE_DEFS[key] = Box2D.b2FixtureDef(
            shape=Box2D.b2PolygonShape(box=(half_w, half_h)),
            density=density, friction=friction, restitution=0.0,
            filter=Box2D.b2Filter(categoryBits=category, maskBits=mask, groupIndex=0),
            userData=tag,
        )
    return _FIXTURE_DEFS[key]


def _add_box(world: Box2D.b2World, body_type: int, fixture: Box2D.b2FixtureDef,
             x: float, y: float, angle: float, placed: bool) -> Box2D.b2Body:
    """A body with one box, as ``Runner::AddBox``: a "placed" body is created at
    (0, 0) and moved with setPosition then setAngle (two SetTransform calls,
    each updating the broad phase), as the game's sprites are [F14]."""
    if placed:
        body = world.CreateBody(Box2D.b2BodyDef(type=body_type, position=(0.0, 0.0), angle=0.0))
        body.CreateFixture(fixture)
        body.awake = True
        body.position = (x, y)  # SetTransform((x, y), 0)
        body.angle = angle  # SetTransform((x, y), angle)
    else:
        body = world.CreateBody(Box2D.b2BodyDef(type=body_type, position=(x, y), angle=angle))
        body.CreateFixture(fixture)
    return body


class ReferenceQWOPEnv(gym.Env):
    """QWOP on pybox2d: the same env as ``QWOPEnv``, in plain Python.

    Observation: Box(-1, 1, (60,), float32); action: Discrete(9) or (16);
    reward, termination, truncation and ``info`` (distance, game_time,
    is_success, episode_step) as ``QWOPEnv``. Options: ``EnvOptions``; each
    is also an attribute (set: from the next step; world-shaping ones, i.e.
    hurdle, head_torque_accumulates and intro_frames, from the next reset).
    ``seed`` seeds ``np_random``, the action space and the intro_frames draw.
    """

    #: The 12 bodies in the game's creation order (the rows of ``body_state``).
    body_names = contract.BODY_NAMES

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
        self._stream = intro_frames_stream(0)  # seeded by the first reset, as QWOPEnv's
        self._build_world()
        self._needs_reset = True

    # ------------------------------------------------------------- the world
    def _build_world(self) -> None:
        """A fresh b2World in the game's creation order (``Runner::Reset``).
        Nothing of the previous world survives, so an episode depends only on
        its options and its intro frames."""
        o = self.env_options
        self._world = None  # the old world (and every body in it) goes first
        world = Box2D.b2World(gravity=T.GRAVITY, doSleep=True)
        world.contactListener = self._rules
        # The game warm-starts and has continuous physics off, so no TOI
        # sub-stepping ever runs [F3] (pybox2d's default is on).
        world.warmStarting = True
        world.continuousPhysics = False
        # Nothing in the game clears forces: the head torque is a running sum
        # [F7]. head_torque_accumulates=False (not the game) clears it after
        # each step, as the C++ runner does.
        world.autoClearForces = not o.head_torque_accumulates

        world.CreateBody(Box2D.b2BodyDef(type=Box2D.b2_staticBody))  # the game's ground body, no fixture
        track = T.TRACK
        track_fixture = _fixture(T.TRACK_HALF_WIDTH, track.half_height, track.density, track.friction,
                                 T.CATEGORY_TRACK, T.MASK_TRACK, _TRACK)
        self._track = [_add_box(world, Box2D.b2_staticBody, track_fixture, i * T.TRACK_SPACING,
                                T.TRACK_CENTRE_Y, 0.0, True) for i in range(T.TRACK_SEGMENTS)]
        self._track_x = [i * T.TRACK_SPACING for i in range(T.TRACK_SEGMENTS)]  # what PlaceTrack compares
        bx, by, bw, bh = T.BLOCK
        _add_box(world, Box2D.b2_staticBody,
                 _fixture(bw, bh, T.BLOCK_DENSITY, T.BLOCK_FRICTION, T.CATEGORY_TRACK, T.MASK_TRACK, None),
                 bx, by, 0.0, True)

        self._hurdle: tuple[Box2D.b2Body, Box2D.b2Body] | None = None
        self._hurdle_dormant = False
        if o.hurdle:
            # Created asleep at their positions, floating 0.068 above the
            # track until a touching contact wakes them [F12].
            parts = []
            for spec in (T.HURDLE_BASE, T.HURDLE_TOP):
                body = _add_box(world, Box2D.b2_dynamicBody,
                                _fixture(spec.half_w, spec.half_h, spec.density, spec.friction,
                                         spec.category, spec.mask, spec.name),
                                spec.x, spec.y, 0.0, False)
                body.awake = False
                parts.append(body)
            base, top = parts
            (la, lb) = T.HURDLE_JOINT_LOCAL_ANCHORS
            # Top bar (A) to base (B), locked: reference angle 0, limit
            # enabled with lower = upper = 0, no motor (as the C++ runner builds it).
            world.CreateRevoluteJoint(bodyA=top, bodyB=base, localAnchorA=la, localAnchorB=lb,
                                      referenceAngle=0.0, enableLimit=True, lowerAngle=0.0,
                                      upperAngle=0.0, enableMotor=False, maxMotorTorque=0.0,
                                      motorSpeed=0.0)
            self._hurdle = (base, top)
            self._hurdle_dormant = True  # asleep as in the game (see _keep_hurdle_asleep)

        self._bodies = [
            _add_box(world, Box2D.b2_dynamicBody,
                     _fixture(b.half_w, b.half_h, b.density, b.friction, T.CATEGORY_RUNNER,
                              T.MASK_RUNNER, b.name),
                     b.x, b.y, b.angle, True)
            for b in T.BODIES]
        self._joints = []
        for spec, (local_a, local_b) in zip(T.JOINTS, T.JOINT_LOCAL_ANCHORS):
            self._joints.append(world.CreateRevoluteJoint(
                bodyA=self._bodies[T.BODY_INDEX[spec.body_a]],
                bodyB=self._bodies[T.BODY_INDEX[spec.body_b]],
                localAnchorA=local_a, localAnchorB=local_b,
                referenceAngle=spec.reference_angle,  # the game's, never from the pose
                enableLimit=True, lowerAngle=spec.lower, upperAngle=spec.upper,
                enableMotor=spec.motor, maxMotorTorque=spec.max_motor_torque, motorSpeed=0.0))
        joint = {name: self._joints[i] for name, i in T.JOINT_INDEX.items()}
        for name in T.KEYED_JOINTS:  # speed 0, limit and motor enabled after creation [F15]
            joint[name].motorSpeed = 0.0
            joint[name].limitEnabled = True
            joint[name].motorEnabled = True
        self._world = world

        self._head = self._bodies[T.BODY_INDEX["head"]]
        self._torso = self._bodies[T.BODY_INDEX["torso"]]
        self._obs_bodies = [self._bodies[i] for i in _OBS_ROWS]
        self._thigh_joints = [joint[n] for n in T.THIGH_JOINTS]
        self._calf_joints = [joint[n] for n in T.CALF_JOINTS]
        self._left_hip, self._right_hip = joint["leftHip"], joint["rightHip"]
        self._end_hips = [joint[n] for n in T.GAME_END_HIPS]
        self._end_free = [joint[n] for n in T.GAME_END_FREE_JOINTS]

        self._rules.fallen = self._rules.jumped = self._rules.landed = False
        self._ended = self._paused = False
        self._camera_x = T.CAMERA_START_PX
        self._steps = 0
        self._success = False

        # The intro screen: the game updates without stepping until the click [F13].
        low, high = o.intro_frames_range
        self._intro_frames = self._stream.draw(low, high)
        for _ in range(self._intro_frames):
            self._place_track()
            self._head_torque()
            self._apply_keys(0)
        self._score_time = 0.0  # the click resets the clock
        self._prev_time = 0.0
        self._prev_distance = 0.0 if o.first_step_reference == "origin" else self._distance()

    def _distance(self) -> float:
        """Torso x in displayed metres."""
        return self._torso.position.x / T.WU_PER_METRE

    # -------------------------------------------------------- one game frame
    def _place_track(self) -> None:
        """Segment i to (floor(camera_x / 640) + i) * 32 when that changes,
        from the previous frame's camera (``Runner::PlaceTrack``) [F11]."""
        k = math.floor(self._camera_x / T.SEGMENT_PX)
        xs = self._track_x
        for i in range(T.TRACK_SEGMENTS):
            x = (k + i) * T.TRACK_SPACING
            if x != xs[i]:
                xs[i] = x
                self._track[i].transform = ((x, T.TRACK_CENTRE_Y), 0.0)

    def _head_torque(self) -> None:
        head = self._head
        # wake=True: the game's applyTorque wakes a sleeping head [F7]
        head.ApplyTorque(T.HEAD_TORQUE_GAIN * (head.angle + T.HEAD_TORQUE_ANGLE_OFFSET), True)

    def _apply_keys(self, keys: int) -> None:
        """``Runner::ApplyKeys``: Q wins over W, O over P; with neither, the
        motors brake at speed 0. O/P also rewrite the hip limits, which keep
        their value when released [F9]."""
        if keys & T.KEY_Q:
            thigh = T.THIGH_SPEEDS_Q
        elif keys & T.KEY_W:
            thigh = T.THIGH_SPEEDS_W
        else:
            thigh = (0.0, 0.0, 0.0, 0.0)
        for joint, speed in zip(self._thigh_joints, thigh):
            joint.motorSpeed = speed
        limits = None
        if keys & T.KEY_O:
            calf, limits = T.CALF_SPEEDS_O, T.HIP_LIMITS_O
        elif keys & T.KEY_P:
            calf, limits = T.CALF_SPEEDS_P, T.HIP_LIMITS_P
        else:
            calf = (0.0, 0.0)
        for joint, speed in zip(self._calf_joints, calf):
            joint.motorSpeed = speed
        if limits is not None:
            self._left_hip.SetLimits(*limits["leftHip"])
            self._right_hip.SetLimits(*limits["rightHip"])

    def _end_game(self) -> None:
        """``Runner::EndGame``: the hips stop and lose their motors but keep
        their limits; knees and shoulders go limp [F9]."""
        self._ended = True
        for joint in self._end_hips:
            joint.motorSpeed = 0.0
            joint.motorEnabled = False
        for joint in self._end_free:
            joint.limitEnabled = False
            joint.motorEnabled = False

    def _keep_hurdle_asleep(self) -> None:
        """Box2D 2.3 wakes a sleeping body when the broad phase pairs it with
        a new fixture (here: a track segment placed under the hurdle); the
        game does not, its hurdle sleeps until a touching contact wakes it
        [F12]. So while the game's hurdle would still sleep, a hurdle woken
        with no touching contact (it has not moved: the wake came from a
        SetTransform or the end of the last step) is put back to sleep."""
        base, top = self._hurdle
        if not (base.awake or top.awake):
            return
        for body in (base, top):
            for edge in body.contacts:
                if edge.contact.touching:
                    self._hurdle_dormant = False  # woken as the game wakes it: from now on it is free
                    return
        base.awake = top.awake = False

    def _frame(self, keys: int) -> None:
        """One game frame in the game's update order (``Runner::Frame``) [F8]."""
        rules = self._rules
        if not self._paused and not self._ended:
            self._score_time += T.CLOCK_PER_FRAME
        self._place_track()
        if self._hurdle_dormant:
            self._keep_hurdle_asleep()
        if not rules.fallen:
            self._head_torque()
        # Box2D 2.3's joint setters wake their bodies; the game's do not. A
        # ragdoll asleep after a fall (no head torque wakes it) stays asleep.
        asleep = rules.fallen and not self._torso.awake
        self._apply_keys(keys)
        if asleep:
            for body in self._bodies:
                body.awake = False
        if not self._paused:
            self._world.Step(T.TIME_STEP, T.VELOCITY_ITERATIONS, T.POSITION_ITERATIONS)
            if self._hurdle_dormant:
                self._keep_hurdle_asleep()
        torso = self._torso.position
        if not torso.y < T.CAMERA_MIN_Y and not rules.fallen:
            self._camera_x = (torso.x + T.CAMERA_OFFSET_WU) * T.WORLD_SCALE
        if rules.landed and not self._ended:
            self._paused = True  # physics stops from the next frame on
            self._end_game()
        elif not rules.landed and not self._ended and rules.fallen:
            self._end_game()  # the ragdoll keeps collapsing

    # ------------------------------------------------------------------- API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Rebuild the world. ``seed`` seeds ``np_random``, the action space
        and the intro_frames draw (the same stream as ``QWOPEnv``'s)."""
        stream_seed = contract.begin_reset(self, seed, options)
        if stream_seed is not None:
            self._stream = intro_frames_stream(stream_seed)
        self._build_world()
        self._needs_reset = False
        return self._observation(), self._info()

    def step(self, action: Any):
        contract.check_started(self._needs_reset)
        o = self.env_options
        keys = o.action_keys[contract.check_action(action, o.n_actions)]
        # After a landing the game keeps updating but no longer steps (_frame).
        for _ in range(o.frames_per_step):
            self._frame(keys)
        self._steps += 1

        # qwop-gym reward (Runner::Step): d in metres, time = clock / 10.
        d = self._distance()
        time = self._score_time / 10.0
        dt = time - self._prev_time
        v = (d - self._prev_distance) / dt if dt > 0.0 else 0.0  # no velocity over no time
        reward = o.speed_rew_mult * v - dt * o.time_cost_mult / o.frames_per_step
        self._prev_distance, self._prev_time = d, time

        # The torso bounds end the episode under both success rules.
        terminated = self._ended or d < T.BOUND_MIN_M or d > T.BOUND_MAX_M
        success = False
        if terminated:
            if o.success_rule == "game":
                success = self._rules.landed and not self._rules.fallen
            else:
                success = d > T.SUCCESS_DISTANCE_M
            reward += o.success_reward if success else -o.failure_cost
        truncated = (not terminated and o.max_episode_steps > 0
                     and self._steps >= o.max_episode_steps)
        self._needs_reset = terminated or truncated
        self._success = success
        # float32 like QWOPEnv's reward buffer, so both return the same kind of float.
        return self._observation(), float(np.float32(reward)), terminated, truncated, self._info()

    def _observation(self) -> np.ndarray:
        """12 bodies x (x, y, angle, vx, vy), normalised in double and
        rounded to float32, clipped (as ``Runner::WriteObs``)."""
        raw = np.empty((len(self._obs_bodies), 5), np.float64)
        for row, body in zip(raw, self._obs_bodies):
            p, v = body.position, body.linearVelocity
            row[:] = (p.x, p.y, body.angle, v.x, v.y)
        obs = ((raw - _OBS_CENTRE) / _OBS_HALF_RANGE).astype(np.float32)
        return np.clip(obs, np.float32(-1), np.float32(1)).reshape(-1)

    def _info(self) -> dict[str, Any]:
        return contract.info(self._distance(), self._score_time, self._success, self._steps)

    def close(self) -> None:
        self._world = None
        self._bodies, self._joints, self._obs_bodies, self._track = [], [], [], []
        self._head = self._torso = self._hurdle = None
        self._thigh_joints, self._calf_joints, self._end_hips, self._end_free = [], [], [], []
        self._left_hip = self._right_hip = None
        self._hurdle_dormant = False
        self._needs_reset = True

    # ------------------------------------------------------------ inspection
    @property
    def joint_angle(self) -> np.ndarray:
        """(11,) float32 joint angles now."""
        return np.array([j.angle for j in self._joints], np.float32)

    @property
    def joint_limits(self) -> np.ndarray:
        """(11, 2) float32 current joint limits (hips change with O/P)."""
        return np.array([j.limits for j in self._joints], np.float32).reshape(len(T.JOINTS), 2)

    @property
    def body_pose(self) -> np.ndarray:
        """(12, 3) float32 x, y, angle of each body now, in creation order."""
        return self.body_state[:, :3].astype(np.float32)

    @property
    def body_state(self) -> np.ndarray:
        """(12, 6) float64 x, y, angle, vx, vy, angular velocity of each body
        (``body_names`` order, world units, y down). pybox2d's values are
        float32, widened; every box is centred on its body, so the position
        is the centre of mass, as in ``QWOPEnv``."""
        out = np.empty((len(self._bodies), 6), np.float64)
        for row, b in zip(out, self._bodies):
            p, v = b.position, b.linearVelocity
            row[:] = (p.x, p.y, b.angle, v.x, v.y, b.angularVelocity)
        return out

    @property
    def action_names(self) -> tuple[str, ...]:
        """The keys each action index holds ("none" for no key)."""
        return self.env_options.action_names

    @property
    def intro_frames_drawn(self) -> int:
        """The intro frames this episode started with."""
        return self._intro_frames

    @property
    def hurdle_pose(self) -> np.ndarray:
        """(2, 3) float64 x, y, angle of the hurdle base and top bar now (NaN
        without a hurdle), as ``Engine.current_hurdle_pose()``."""
        if self._hurdle is None:
            return np.full((2, 3), np.nan)
        return np.array([(b.position.x, b.position.y, b.angle) for b in self._hurdle], np.float64)

    def flags(self) -> tuple[bool, bool, bool]:
        """The game flags now: fallen, landed, ended (as ``Engine.flags()``)."""
        return self._rules.fallen, self._rules.landed, self._ended

    def game_state(self) -> dict[str, Any]:
        """The game's variables now, named as ``Engine.game_state()`` (and the
        oracle's trajectories). No ``head_torque_accum``: pybox2d does not
        expose a body's accumulated torque."""
        return dict(
            camera_x=self._camera_x,
            floor_x=tuple(float(b.position.x) for b in self._track),
            # as the recordings write it: "T" top awake, "B" base awake
            hurdle_awake=(("T" if self._hurdle[1].awake else "") + ("B" if self._hurdle[0].awake else ""))
            if self._hurdle else None,
            contacts_touching=sum(1 for c in self._world.contacts if c.touching),
            scoreTime=self._score_time,
            fallen=self._rules.fallen, jumped=self._rules.jumped,
            jumpLanded=self._rules.landed, gameEnded=self._ended,
            intro_frames=self._intro_frames,
        )

    def describe_world(self) -> dict[str, Any]:
        """The runner as Box2D built it, in the layout of
        ``qwop_fast._engine.Engine.describe_world()`` (for cross-checks)."""
        bodies = {
            name: dict(mass=b.mass, inertia=b.inertia, x=b.position.x, y=b.position.y, angle=b.angle)
            for name, b in zip(T.BODY_NAMES, self._bodies)
        }
        joints = {}
        for name, j in zip(T.JOINT_NAMES, self._joints):
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
