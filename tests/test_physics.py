"""The pieces of the game's physics against the real game's solver internals.

../shared/oracle/internals records what the game's Box2D holds after each
frame: contacts in world-list order with their manifolds and accumulated
impulses, the force-based revolute joints' accumulators, bodies' sleep state.
The engine must hold the same, bit for bit: the same contacts created in the
same order (broadphase pair order), the same box-box manifolds and feature
keys, the same warm-start matching, the same joint solve.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench import oracle
from qwop_fast import runner_table
from qwop_fast._engine import Engine

# Bodies in the engine's creation order (debug_world()["bodies"]) and the
# recordings' names for them; joints likewise (the hurdle's first).
WORLD_BODIES = ("ground", "track0", "track1", "track2", "block", "hurdleBase", "hurdleTop", *runner_table.BODY_NAMES)
WORLD_JOINTS = ("hurdleJoint", *runner_table.JOINT_NAMES)
MANIFOLD_TYPES = {"FACE_A": 1, "FACE_B": 2}


def _replay(name: str):
    """Yields (engine, record) for each frame that internals/<name> recorded."""
    records = {r["frame"]: r for r in oracle.load_internals(name)}
    program = oracle.load_program(name.split("_f")[0] if name.startswith("hurdle") else name)
    keys = oracle.program_keys(program)
    e = Engine(1, num_threads=0, auto_reset=False, seed=0, **oracle.env_kwargs(program))
    for f in range(0, max(records) + 1):
        if f > 0:
            e.step(np.array([oracle.action_index(keys[f - 1])]))
        if f in records:
            yield e, records[f]


@pytest.mark.parametrize("name", ["held_none", "alt_QP5_WO5", "random_seed1", "hurdle_QP5_WO5_f3140-3175"])
def test_contacts_manifolds_and_impulses_match_the_games(name):
    checked = 0
    for e, rec in _replay(name):
        ours = e.debug_world()["contacts"]
        theirs = rec["contacts"]
        # The same live contacts in the same list order: broadphase pair order,
        # contact creation and destruction follow the game's.
        assert [c["pair"] for c in ours] == [c["pair"] for c in theirs], rec["frame"]
        for a, b in zip(ours, theirs):
            m = b["manifold"]
            assert a["touching"] == b["touching"], (rec["frame"], b["pair"])
            assert len(a["points"]) == m["pointCount"], (rec["frame"], b["pair"])
            if m["pointCount"] == 0:
                continue
            where = (rec["frame"], b["pair"])
            assert a["type"] == MANIFOLD_TYPES[m["type"]], where
            assert a["lpn"] == tuple(m["localPlaneNormal"]) and a["lp"] == tuple(m["localPoint"]), where
            for (key, normal, tangent), local, p in zip(a["points"], a["local_points"], m["points"]):
                assert key == p["key"] and local == tuple(p["localPoint"]), where
                # impulses: the solved values, or the warm start of a dropped point
                assert (normal, tangent) == (p["normalImpulse"], p["tangentImpulse"]), where
                checked += 1
    assert checked > 50


@pytest.mark.parametrize("name", ["alt_QP5_WO5", "random_seed1", "hurdle_QP5_WO5_f3140-3175"])
def test_revolute_joint_accumulators_match_the_games(name):
    """The 2.0-style force-based joint: pivot force, motor and limit torques,
    the position-level limit impulse, the limit state, the effective masses."""
    for e, rec in _replay(name):
        ours = dict(zip(WORLD_JOINTS, e.debug_world()["joints"]))
        for j in rec["joints"]:
            a = ours[j["name"]]
            where = (rec["frame"], j["name"])
            assert a["pivot_force"] == tuple(j["pivotForce"]), where
            assert (a["motor_force"], a["limit_force"]) == (j["motorForce"], j["limitForce"]), where
            assert a["limit_position_impulse"] == j["limitPositionImpulse"], where
            if j["limitState"] is not None:  # None: never assigned by the game yet (behaves as 0)
                assert a["limit_state"] == j["limitState"], where
            if j["pivotMass"] is not None:
                assert a["pivot_mass"] == tuple(j["pivotMass"]) and a["motor_mass"] == j["motorMass"], where


@pytest.mark.parametrize("name", ["held_none", "hurdle_QP5_WO5_f3140-3175"])
def test_bodies_sleep_state_matches_the_games(name):
    for e, rec in _replay(name):
        ours = dict(zip(WORLD_BODIES, e.debug_world()["bodies"]))
        for b in rec["bodies"]:
            if b["type"] == 0:  # static bodies: only their awake flag is kept
                continue
            a = ours[b["name"]]
            assert (a["c"], a["a"]) == (tuple(b["c"]), b["a"]), (rec["frame"], b["name"])
            assert (a["awake"], a["sleep_time"], a["torque"]) == (b["awake"], b["sleepTime"], b["T"]), (
                rec["frame"], b["name"])


def test_bodies_and_joints_are_built_as_the_game_builds_them():
    """Masses and inertias from b2PolygonShape.computeMass, local anchors from
    the game's getLocalPoint, limits and motors as created (world.json)."""
    world = oracle.load_world()
    e = Engine(1, num_threads=0)
    ours = e.debug_world()["bodies"]
    names = [b["userData"] or "ground" for b in world["bodies"]]
    for i, b in enumerate(world["bodies"]):
        assert (ours[i]["mass"], ours[i]["inertia"]) == (b["mass"], b["I"]), names[i]
    described = e.describe_world()["joints"]
    for j in world["joints"][1:]:
        d = described[j["name"]]
        assert d["local_anchor_a"] == tuple(j["localAnchorA"]) and d["local_anchor_b"] == tuple(j["localAnchorB"])
        assert (d["reference_angle"], d["lower"], d["upper"]) == (j["referenceAngle"], j["lowerAngle"], j["upperAngle"])
        keyed = j["name"] in runner_table.KEYED_JOINTS
        assert d["motor"] == (j["enableMotor"] or keyed) and d["max_motor_torque"] == j["maxMotorTorque"]
    hurdle = world["joints"][0]
    assert runner_table.HURDLE_JOINT_LOCAL_ANCHORS == (tuple(hurdle["localAnchorA"]), tuple(hurdle["localAnchorB"]))


def test_track_segments_follow_the_camera_by_hand():
    """Worked by hand: the camera starts at -200 px, so the first frame moves
    the segments from 0, 32, 64 to floor(-200/640) = -1 -> -32, 0, 32; later the
    ground jumps 32 wu forward each time camera x crosses a multiple of 640 px."""
    e = Engine(1, num_threads=0, auto_reset=False, frames_per_step=1, reduced_action_set=False)
    assert e.game_state()["floor_x"] == (0.0, 32.0, 64.0) and e.game_state()["camera_x"] == -200.0
    e.step(np.array([0]))
    g = e.game_state()
    assert g["floor_x"] == (-32.0, 0.0, 32.0)
    torso_x = e.body_state[0, runner_table.BODY_INDEX["torso"], 0]
    assert g["camera_x"] == (torso_x - 14.0) * 20.0
