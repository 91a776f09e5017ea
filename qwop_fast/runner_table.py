"""Every number of the QWOP runner, in one place.

This module is plain data (plus a few float64 derivations) and is read by both
engines: the C++ batched engine (``qwop_fast._engine`` copies it into C structs
when an ``Engine`` is built) and the pybox2d reference env
(``qwop_fast.reference``). Change a number here and both engines change.

Source: ``qwop-spec.md`` (sections in brackets below). Units are Box2D world
units (wu, 1 displayed metre = 10 wu), radians and seconds; **y points down**.
"""

from __future__ import annotations

import math
from typing import NamedTuple

# --------------------------------------------------------------------------
# World [spec 1]
# --------------------------------------------------------------------------
GRAVITY = (0.0, 10.0)  # y-down, so +10 is downward
TIME_STEP = 0.04  # physics seconds per frame
VELOCITY_ITERATIONS = 5
POSITION_ITERATIONS = 5
CLOCK_PER_FRAME = 1.0 / 30.0  # game-clock seconds per frame [spec 6.7]
WU_PER_METRE = 10.0  # displayed metres = wu / 10

# Collision categories [spec 2, 3, 8 #20]
CATEGORY_TRACK = 0x0001
CATEGORY_RUNNER = 0x0002
CATEGORY_HURDLE = 0x0004
MASK_TRACK = 0xFFFF
MASK_RUNNER = 0xFFFD  # clears the runner bit: no self-collision
MASK_HURDLE_BASE = 0xFFF9  # track only
MASK_HURDLE_TOP = 0xFFFB  # track and runner, not the base


# --------------------------------------------------------------------------
# Track [spec 2.1]
# --------------------------------------------------------------------------
class TrackSpec(NamedTuple):
    top_y: float  # top surface (the feet land on it)
    half_height: float
    x_min: float
    x_max: float
    friction: float
    restitution: float
    density: float


# The game's track is three static segments, 640 x 64 px (half 16 x 1.6 wu),
# centred at y = 10.74275 (top surface 9.14275), re-placed at the start of
# every frame to x = (floor(camera_x_px / 640) + i) * 32 [oracle F11]: the
# ground only exists in [32k - 16, 32k + 80] around the camera.
TRACK_SEGMENTS = 3
TRACK_SPACING = 32.0
TRACK_CENTRE_Y = 10.74275
TRACK_HALF_WIDTH = 16.0
# The visible track surface (the renderer draws it as one long box; both
# engines build the three segments above): its top is the segments' top.
TRACK = TrackSpec(
    top_y=9.14275,
    half_height=1.6,
    x_min=-120.0,
    x_max=1072.0,
    friction=0.2,
    restitution=0.0,
    density=30.0,
)

# Camera [oracle F11]: x starts at -200 px; after each step, unless the torso
# is above y = -5 or the runner has fallen, x = (torso x - 14) * 20 px.
WORLD_SCALE = 20.0  # px per wu
SEGMENT_PX = 640.0
CAMERA_START_PX = -200.0
CAMERA_OFFSET_WU = -14.0
CAMERA_MIN_Y = -5.0

# The static "block" behind the start, a wall (UI atlas frame 0) [oracle F11].
BLOCK = (-39.996249999999996, 2.10625, 6.275, 7.475)  # x, y, half_w, half_h
BLOCK_DENSITY = 1.0
BLOCK_FRICTION = 0.2


# --------------------------------------------------------------------------
# Hurdle at 50 m [spec 2.2]
# --------------------------------------------------------------------------
class HurdlePartSpec(NamedTuple):
    name: str
    x: float
    y: float
    half_w: float
    half_h: float
    density: float
    friction: float
    category: int
    mask: int


HURDLE_BASE = HurdlePartSpec("hurdleBase", 500.0, 8.775, 1.675, 0.3, 1.0, 0.2,
                             CATEGORY_HURDLE, MASK_HURDLE_BASE)
HURDLE_TOP = HurdlePartSpec("hurdleTop", 500.86499999999995, 5.0575, 0.5375, 3.65, 1.0, 0.2,
                            CATEGORY_HURDLE, MASK_HURDLE_TOP)
# The game joins the top bar (body A) to the base (body B) with a revolute
# joint locked at lower = upper = 0 (limit state "equal", which holds the
# angle rigid), no motor [oracle F12]. Both parts are created asleep and float
# 0.068 above the track until the runner touches them.
HURDLE_JOINT_LOCAL_ANCHORS = ((0.18, 3.7299999999999995), (1.045, 0.0125))
# The top bar's centre offset from the base (no engine uses it any more: both
# build the game's two bodies and locked joint).
HURDLE_TOP_OFFSET = (HURDLE_TOP.x - HURDLE_BASE.x, HURDLE_TOP.y - HURDLE_BASE.y)

# --------------------------------------------------------------------------
# Finish and distances [spec 2.3, 6.4]
# --------------------------------------------------------------------------
# The game's beginContact compares h * 20 px with these (h: the largest x of
# the contact's world-manifold slots) [oracle F10].
JUMP_PX = 20000.0 - 220.0  # the left foot touching the track beyond this sets "jumped"
FINISH_PX = 20000.0  # ...and beyond this sets "landed" (100 m)
JUMP_X = JUMP_PX / WORLD_SCALE  # in wu: 989
FINISH_X = FINISH_PX / WORLD_SCALE  # 1000
BOUND_MIN_M = -10.0  # qwop-gym termination bounds on torso distance [spec 7.5]
BOUND_MAX_M = 105.0
SUCCESS_DISTANCE_M = 100.0

# --------------------------------------------------------------------------
# The 12 bodies, in the original creation order [spec 3]
# --------------------------------------------------------------------------


class BodySpec(NamedTuple):
    name: str
    x: float
    y: float
    angle: float
    half_w: float
    half_h: float
    density: float
    friction: float


BODIES: tuple[BodySpec, ...] = (
    BodySpec("torso", 2.5111726226000157, -1.8709517533957938, -1.2514497119301329, 3.275, 1.425, 1.0, 0.2),
    BodySpec("head", 3.888130278719558, -5.621802929095265, 0.06448415835225099, 1.075, 1.325, 1.0, 0.2),
    BodySpec("leftForearm", 5.830008603424893, -2.8733539631159584, -1.2049772618421237, 1.75, 0.55, 1.0, 0.2),
    BodySpec("leftThigh", 2.5648987628203876, 1.648090668682522, -2.0177234426823394, 2.525, 1.0, 1.0, 0.2),
    BodySpec("leftArm", 4.417861014480877, -2.806563606410589, 0.9040095895272826, 1.85, 0.625, 1.0, 0.2),
    BodySpec("leftCalf", 3.12585731974087, 5.525511655361298, -1.5903971528225265, 2.5, 0.75, 1.0, 0.2),
    BodySpec("leftFoot", 3.926921842806667, 8.08884032049622, 0.12027524643408766, 1.35, 0.675, 3.0, 1.5),
    BodySpec("rightForearm", 0.4078206420797428, -1.0599953233084172, -1.7553358283857299, 2.225, 0.675, 1.0, 0.2),
    BodySpec("rightArm", 1.1812303663272852, -3.5000256518601014, -0.5222217404634386, 1.95, 0.75, 1.0, 0.2),
    BodySpec("rightCalf", -0.07253905736790486, 5.347881871063159, -0.7588859967104447, 2.5, 0.75, 1.0, 0.2),
    BodySpec("rightFoot", -1.1254742643908706, 7.567193169625567, 0.5897605418219602, 1.35, 0.725, 3.0, 1.5),
    BodySpec("rightThigh", 1.6120186135678773, 2.0615320561881516, 1.4849422964528027, 2.65, 1.0, 1.0, 0.2),
)
BODY_NAMES = tuple(b.name for b in BODIES)
BODY_INDEX = {name: i for i, name in enumerate(BODY_NAMES)}

# A first begin-contact between the track and one of these parts is a fall
# [spec 6.5]. Torso, thighs, calves and feet may touch (knee-dragging is legal).
FALL_PARTS = ("head", "leftArm", "rightArm", "leftForearm", "rightForearm")
FOOT_PARTS = ("leftFoot", "rightFoot")

# Draw depth back -> front (rendering only) [spec 3 notes]: left limbs are in
# front of the torso... as the game draws them (depth 1 is drawn first).
DRAW_ORDER = ("leftCalf", "leftFoot", "leftThigh", "leftArm", "leftForearm", "torso",
              "head", "rightArm", "rightCalf", "rightThigh", "rightFoot", "rightForearm")


# --------------------------------------------------------------------------
# The 11 revolute joints, in the original creation order [spec 4]
# Body A is the child (distal) part, body B the parent.
# --------------------------------------------------------------------------
class JointSpec(NamedTuple):
    name: str
    body_a: str
    body_b: str
    anchor_a: tuple[float, float]  # world anchor on A at the spawn pose
    anchor_b: tuple[float, float]  # world anchor on B at the spawn pose
    reference_angle: float  # set explicitly, never derived from the pose
    lower: float
    upper: float
    motor: bool
    max_motor_torque: float


JOINTS: tuple[JointSpec, ...] = (
    JointSpec("neck", "head", "torso", (3.5885141908253755, -4.526224223627244),
              (3.588733341630704, -4.526434658500262), -1.308996406363529, -0.5, 0.0, False, 0.0),
    JointSpec("rightShoulder", "rightArm", "torso", (2.228476821818547, -4.086468732185028),
              (2.228929993886102, -4.08707555939957), -0.7853907065463961, -0.5, 1.5, True, 1000.0),
    JointSpec("leftShoulder", "leftArm", "torso", (3.6241979856895377, -3.5334881618011442),
              (3.6241778782207157, -3.533950434531982), -2.09438311816829, -2.0, 0.0, True, 1000.0),
    JointSpec("leftHip", "leftThigh", "torso", (2.0030339754142847, 0.23737160622781284),
              (2.003367181376716, 0.23802590387419476), 0.7258477508944043, -1.5, 0.5, True, 6000.0),
    JointSpec("rightHip", "rightThigh", "torso", (1.2475900729227194, -0.011046642863645761),
              (1.2470052823973599, -0.011635347168778898), -2.719359381718199, -1.3, 0.7, True, 6000.0),
    JointSpec("leftElbow", "leftForearm", "leftArm", (5.525375332758792, -1.63856204930891),
              (5.52537532948459, -1.6385620366077662), 2.09438311816829, -0.1, 0.5, False, 0.0),
    JointSpec("rightElbow", "rightForearm", "rightArm", (-0.006090859076100963, -2.8004758838752157),
              (-0.0060908611708438976, -2.8004758929205846), 1.2968199012274688, -0.1, 0.5, False, 0.0),
    JointSpec("leftKnee", "leftCalf", "leftThigh", (3.384323411985692, 3.5168931240916876),
              (3.3844684376952108, 3.5174122997898016), -0.3953113764119829, -1.6, 0.0, True, 3000.0),
    JointSpec("rightKnee", "rightCalf", "rightThigh", (1.4982369235492752, 4.175600306005656),
              (1.4982043532615996, 4.17493520671361), 2.2893406247158676, -1.3, 0.3, True, 3000.0),
    # Ankles: max torque 2000 is in the data but the motor is off (passive).
    JointSpec("leftAnkle", "leftFoot", "leftCalf", (3.312322507818897, 7.947704853895541),
              (3.3123224825088817, 7.947704836256229), -1.7244327585010226, -0.5, 0.5, False, 2000.0),
    JointSpec("rightAnkle", "rightFoot", "rightCalf", (-1.6562855402197227, 6.961551452557676),
              (-1.655726670462596, 6.961493826969391), -1.5708045825942758, -0.5, 0.5, False, 2000.0),
)
JOINT_NAMES = tuple(j.name for j in JOINTS)
JOINT_INDEX = {name: i for i, name in enumerate(JOINT_NAMES)}


# The local anchors exactly as the game computes them at creation
# (getLocalPoint in JavaScript doubles, from the world anchors above; oracle
# world.json): on A in A's frame, on B in B's frame.
JOINT_LOCAL_ANCHORS: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = (
    ((-0.22839485113389013, 1.1126087775923434), (2.859519853416241, 0.1894010834667077)),  # neck
    ((1.2001841231501342, 0.014095940491621661), (2.0154692227269657, -0.963716471396211)),  # rightShoulder
    ((-1.06207890966549, 0.17409394631566927), (1.9283425691848988, 0.5346402981158307)),  # leftShoulder
    ((1.5149934600879298, 0.10302974517488483), (-2.1617729534350554, 0.17997450596313957)),  # leftHip
    ((-2.0961942262183917, 0.18536556036297194), (-2.162191390759836, -0.6165265219145436)),  # rightHip
    ((-1.2620587423023988, 0.15722668659641342), (1.6027887369842992, -0.14793204384539627)),  # leftElbow
    ((1.786878910753607, -0.0875161173956252), (-1.3780071636887363, 0.014064825719664498)),  # rightElbow
    ((2.0031668711363886, 0.29778450493880393), (-2.039930985466258, -0.06884320616201656)),  # leftKnee
    ((1.9464226250774301, 0.23026118775573867), (2.0958596632699917, 0.29461641905670727)),  # rightKnee
    ((-0.6270934582479109, -0.06637286435491148), (-2.425382538900126, 0.13895539751438638)),  # leftAnkle
    ((-0.7779783144804977, -0.20811593451266924), (-2.2591139640195603, 0.08142886510219238)),  # rightAnkle
)

# Hips, knees and shoulders get motor speed 0, the limit and the motor enabled
# right after creation; the keys drive them [oracle F15].
KEYED_JOINTS = ("rightHip", "leftHip", "rightKnee", "leftKnee", "rightShoulder", "leftShoulder")
# At the game's end the hips stop (speed 0, motor off, limits kept) and these
# go limp (limit and motor off) [oracle F9].
GAME_END_HIPS = ("leftHip", "rightHip")
GAME_END_FREE_JOINTS = ("rightKnee", "leftKnee", "rightShoulder", "leftShoulder")

# --------------------------------------------------------------------------
# Head stabiliser [spec 6.3]: torque HEAD_TORQUE_GAIN * (head.angle + offset)
# on the head each frame until the runner has fallen.
# --------------------------------------------------------------------------
HEAD_TORQUE_GAIN = -4.0
HEAD_TORQUE_ANGLE_OFFSET = 0.2

# --------------------------------------------------------------------------
# Controls [spec 5]. Motor speeds in rad/s; hip limits (lower, upper) in rad.
# Q wins over W, O wins over P. Elbow motors are off in the game, so the
# elbow speeds Q/W write are no-ops and are left out here.
# --------------------------------------------------------------------------
KEY_Q, KEY_W, KEY_O, KEY_P = 1, 2, 4, 8  # key bitmask

# Thigh axis: speeds for (rightHip, leftHip, rightShoulder, leftShoulder)
THIGH_JOINTS = ("rightHip", "leftHip", "rightShoulder", "leftShoulder")
THIGH_SPEEDS_Q = (2.5, -2.5, -2.0, 2.0)
THIGH_SPEEDS_W = (-2.5, 2.5, 2.0, -2.0)
# Calf axis: speeds for (rightKnee, leftKnee)
CALF_JOINTS = ("rightKnee", "leftKnee")
CALF_SPEEDS_O = (2.5, -2.5)
CALF_SPEEDS_P = (-2.5, 2.5)
# Hip limits written while O / P is held; kept when released.
HIP_LIMITS_O = {"leftHip": (-1.0, 1.0), "rightHip": (-1.3, 0.7)}
HIP_LIMITS_P = {"leftHip": (-1.5, 0.5), "rightHip": (-0.8, 1.2)}

# --------------------------------------------------------------------------
# Action sets [spec 5.3]: index -> key bitmask
# --------------------------------------------------------------------------
_KEYS = {"Q": KEY_Q, "W": KEY_W, "O": KEY_O, "P": KEY_P}
FULL_ACTION_NAMES = ("", "Q", "W", "O", "P", "QW", "QO", "QP", "WO", "WP", "OP",
                     "QWO", "QWP", "QOP", "WOP", "QWOP")
# The reduced set keeps the sources' exact list, duplicates (QW = Q, OP = O)
# and all: it cannot express QO or WP. Kept for compatibility [spec 5.3].
REDUCED_ACTION_NAMES = ("", "Q", "W", "O", "P", "QW", "QP", "WO", "OP")


def key_mask(keys: str) -> int:
    """Key bitmask of a held key set such as "QP"."""
    return sum(_KEYS[k] for k in keys)


FULL_ACTION_KEYS = tuple(key_mask(a) for a in FULL_ACTION_NAMES)
REDUCED_ACTION_KEYS = tuple(key_mask(a) for a in REDUCED_ACTION_NAMES)

# --------------------------------------------------------------------------
# Observation [spec 7.1]: 12 bodies x (x, y, angle, vx, vy), in this order
# (not the creation order), normalised as (v - centre) / half_range, clipped.
# --------------------------------------------------------------------------
OBS_BODY_ORDER = ("torso", "head", "leftArm", "leftCalf", "leftFoot", "leftForearm",
                  "leftThigh", "rightArm", "rightCalf", "rightFoot", "rightForearm", "rightThigh")
OBS_CENTRE = (520.0, 0.0, 0.0, 20.0, 17.5)  # x, y, angle, vx, vy
OBS_HALF_RANGE = (530.0, 10.0, 6.0, 40.0, 42.5)
OBS_SIZE = 5 * len(OBS_BODY_ORDER)  # 60

# --------------------------------------------------------------------------
# Reward defaults (qwop-gym) [spec 7.3]; shaping defaults [spec 7.9]
# --------------------------------------------------------------------------
SPEED_REW_MULT = 0.01
TIME_COST_MULT = 10.0
SUCCESS_REWARD = 50.0
FAILURE_COST = 10.0

POSTURE_THRESHOLD = 0.5  # T: penalise a torso centre lower than y = -T
JOINT_BAND_FRACTION = 0.9  # f: band = (hi - lo) * (1 - f) at each limit


def total_mass() -> float:
    """Sum of the 12 body masses (density x box area): 103.0775 [spec 9.1]."""
    return sum(b.density * 4.0 * b.half_w * b.half_h for b in BODIES)
