"""Cross-check ReferenceQWOPEnv (pybox2d, Box2D 2.3.10, float32) against
QWOPEnv (C++: the game's own Box2D 2.1a-style arithmetic, bit for bit) and
against the real game's recordings (../shared/oracle).

    python bench/crosscheck.py [--programs N] [--seed S] [--rounds R] [--out bench/CROSSCHECK.md]

Prints a Markdown report, every number measured in this run:

1. the world as built: reference vs C++ engine vs the game's world.json;
2. where the trajectories part (frame by frame);
3. the held-key programs and open-loop gaits;
4. agreement statistics over N seeded random key programs, next to how
   much the reference moves against itself when its start is nudged;
5. the game rules the reference now shares (hurdle asleep, track following
   the camera, intro frames);
6. how far the reference is from the REAL game, per oracle program
   (``reference_fidelity``), with the C++ engine as the control;
7. single-env steps/s of both envs at frames_per_step=4, interleaved.

``reference_fidelity(name)`` (and ``engine_fidelity(name)``) can be called
from other scripts. Needs the reference extra: pip install 'qwop-fast[reference]'.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import Box2D  # noqa: E402

from bench import oracle  # noqa: E402
from qwop_fast import QWOPEnv, __version__, runner_table  # noqa: E402
from qwop_fast.key_programs import ACTION, FRAME_BY_FRAME, GAITS, gait_program, random_program  # noqa: E402
from qwop_fast.reference import ReferenceQWOPEnv  # noqa: E402

LABEL = {i: (name or "none") for i, name in enumerate(runner_table.FULL_ACTION_NAMES)}
NUDGES = (1e-6, 1e-4, 1e-2)  # rad/s of torso start spin, the reference against itself
TOLERANCES = (1e-9, 1e-6, 1e-3)  # wu / rad, for the fidelity table


# ------------------------------------------------- fidelity to the real game
def _program_run(program):
    """(intro frames, extra key-less first frame?, key masks per frame)."""
    return (program.get("idle_frames", 0), program.get("start") == "reset",
            [runner_table.key_mask(k) for k in oracle.program_keys(program)])


def _fidelity(name, run_frames):
    """Compares a run with the recording: ``run_frames(intro, extra, masks,
    n)`` returns ((n + 1, 12, 3) x, y, angle per row, game-end frame)."""
    program = oracle.load_program(name)
    trajectory = oracle.load_trajectory(name)
    game = trajectory.state[:, :, :3]
    intro, extra, masks = _program_run(program)
    n = len(game) - 1  # recorded frames after row 0
    ours, end = run_frames(intro, extra, masks[:n], n)
    gap = np.abs(ours - game).max(axis=(1, 2))  # per row: the largest x, y or angle difference
    out = {"program": name, "frames": n}
    for tol in TOLERANCES:
        beyond = np.flatnonzero(gap > tol)
        # rows 0..k-1 agree: k rows, i.e. frames 0..k-1 (row 0 is the start)
        out[f"frames_within_{tol:g}"] = int(beyond[0]) if beyond.size else n + 1
    out.update(
        max_gap=float(gap.max()),
        end_frame=end, end_frame_game=trajectory.end_frame,
        torso_x=float(ours[-1, 0, 0]), torso_x_game=float(game[-1, 0, 0]),
    )
    return out


def reference_fidelity(program_name: str) -> dict:
    """How far ReferenceQWOPEnv is from the real game on one oracle program.

    Runs the program's keys frame by frame (``idle_frames`` as intro_frames,
    ``start: "reset"`` as one extra key-less frame first, on through the
    recorded frames after the game's end) and compares every body's x, y
    and angle with the recording. Returns {program, frames, frames_within_1e-09,
    frames_within_1e-06, frames_within_0.001 (the number of rows from row 0
    on that agree within that tolerance; row 0 is the start), max_gap,
    end_frame, end_frame_game (the frame at which the game ended, None if
    it did not), torso_x, torso_x_game (at the last recorded row)}."""

    def run(intro, extra, masks, n):
        env = ReferenceQWOPEnv(frames_per_step=1, max_episode_steps=0, intro_frames=intro)
        env.reset()
        if extra:
            env._frame(0)  # the R start: game.reset's own update (a step) before row 0
        rows = [env.body_state[:, :3]]
        end = None
        for f, keys in enumerate(masks, 1):
            env._frame(keys)  # frame by frame, past the end (the env's step would stop there)
            rows.append(env.body_state[:, :3])
            if end is None and env._ended:
                end = f
        env.close()
        return np.array(rows), end

    return _fidelity(program_name, run)


def engine_fidelity(program_name: str) -> dict:
    """``reference_fidelity`` for the C++ engine (the control: it is the
    game's arithmetic, so every row should agree exactly)."""
    from qwop_fast._engine import Engine

    def run(intro, extra, masks, n):
        action_of = {k: i for i, k in enumerate(runner_table.FULL_ACTION_KEYS)}
        e = Engine(1, num_threads=1, auto_reset=False, frames_per_step=1, reduced_action_set=False,
                   max_episode_steps=0, intro_frames=intro)
        e.reset()
        act = np.zeros(1, np.int64)
        if extra:
            e.step(act)
        rows = [e.current_body_state()[0][:, :3]]
        end = None
        for f, keys in enumerate(masks, 1):
            act[0] = action_of[keys]
            e.step(act)  # the engine steps on after the end (paused after a landing)
            rows.append(e.current_body_state()[0][:, :3])
            if end is None and e.flags()[0, 2]:
                end = f
        e.close()
        return np.array(rows), end

    return _fidelity(program_name, run)


# ----------------------------------------------------------------- helpers
def nudge(env, spin):
    """Adds ``spin`` rad/s to the reference runner's torso at the start."""
    if spin:
        env._bodies[runner_table.BODY_INDEX["torso"]].angularVelocity = spin


def run(env, actions, spin=0.0):
    """Steps ``actions`` from a reset. Returns (fall step or None, last info)."""
    env.reset()
    nudge(env, spin)
    info = {}
    for step, a in enumerate(actions, 1):
        _, _, terminated, truncated, info = env.step(a)
        if terminated or truncated:
            return (step if terminated else None), info
    return None, info


def fmt_step(step):
    return "no fall" if step is None else str(step)


def boot_ci(values_fn, n, rng, reps=2000):
    """95 % bootstrap interval of a statistic of n paired programs."""
    stats = [values_fn(rng.integers(n, size=n)) for _ in range(reps)]
    return np.percentile(stats, [2.5, 97.5])


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


# ------------------------------------------------------------------ report
def section_world(ref, fast):
    obs_r, _ = ref.reset()
    obs_f, _ = fast.reset()
    a, b = ref.describe_world(), fast._engine.describe_world()
    game = {x["userData"]: x for x in json.load(open(oracle.oracle_dir() / "world.json"))["bodies"] if x["userData"]}
    rows = []
    for name in runner_table.BODY_NAMES:
        ra, rb, g = a["bodies"][name], b["bodies"][name], game[name]
        rows.append([name, f"{rb['mass']!r}", f"{ra['mass'] / g['mass'] - 1:+.1e}",
                     f"{rb['inertia'] / g['I'] - 1:+.1e}", f"{ra['inertia'] / g['I'] - 1:+.1e}",
                     f"{max(abs(ra[k] - rb[k]) for k in ('x', 'y', 'angle')):.1e}"])
    anchor = max(abs(ja - jb) for n in runner_table.JOINT_NAMES
                 for k in ("local_anchor_a", "local_anchor_b")
                 for ja, jb in zip(a["joints"][n][k], b["joints"][n][k]))
    other = max(abs(a["joints"][n][k] - b["joints"][n][k]) for n in runner_table.JOINT_NAMES
                for k in ("reference_angle", "lower", "upper", "angle"))
    same_flags = all(a["joints"][n][k] == b["joints"][n][k] for n in runner_table.JOINT_NAMES
                     for k in ("motor", "max_motor_torque"))
    return "\n".join([
        "## 1. The same world", "",
        "Mass and inertia relative to the game's `world.json`, and the start pose, reference "
        "(pybox2d, float32) vs the C++ engine (doubles, the game's values):", "",
        table(["body", "mass (C++ = game)", "ref mass vs game", "C++ inertia vs game",
               "ref inertia vs game", "start x/y/angle, max ref - C++"], rows), "",
        f"* Joint local anchors (the game's exact values, runner_table.JOINT_LOCAL_ANCHORS): "
        f"reference - C++ at most {anchor:.1e} wu (float32 rounding); reference angles, limits "
        f"and start angles at most {other:.1e} rad; motor flags and torques "
        f"**{'identical' if same_flags else 'DIFFERENT'}**.",
        f"* Reset observation (float32): {int((obs_r != obs_f).sum())} of 60 entries differ, "
        f"by at most {float(np.abs(obs_r - obs_f).max()):.1e} (one float32 step of a "
        "float32-rounded start pose).",
    ])


def section_divergence(ref, fast):
    lines = ["## 2. Where the trajectories part", "",
             "Largest gap between the two engines' body positions (wu) after each frame, "
             "frames_per_step=1.", ""]
    header = ["keys held"] + [str(f) for f in range(1, 11)] + ["15", "20", "30"]
    rows = []
    for keys in ("", "O", "QO", "P"):
        a = ACTION[keys]
        ref.reset()
        fast.reset()
        cells = []
        for f in range(1, 31):
            ref.step(a)
            fast.step(a)
            gap = float(np.abs(ref.body_state[:, :2] - fast.body_state[:, :2]).max())
            if f <= 10 or f in (15, 20, 30):
                cells.append(f"{gap:.1e}")
        rows.append([LABEL[a]] + cells)
    lines += [table(header, rows), ""]
    return "\n".join(lines)


def section_sanity(ref, fast):
    rows, results = [], {}
    for a in range(16):
        prog = [a] * 750
        sr, ir = run(ref, prog)
        sf, if_ = run(fast, prog)
        nudged = sorted({run(ref, prog, spin=k * NUDGES[0])[0] or 0 for k in (1, 10, 100)})
        results[a] = (sr, sf)
        rows.append([LABEL[a], fmt_step(sr), fmt_step(sf), f"{ir['distance']:.3f} / {if_['distance']:.3f}",
                     ", ".join(fmt_step(s or None) for s in nudged)])
    agree = sum((r is None) == (f is None) for r, f in results.values())
    lines = ["## 3. Held keys and gaits (frames_per_step=1)", "",
             "### 3.1 One key set held from the spawn for 750 frames", "",
             table(["keys", "fall frame, ref", "fall frame, C++ (= game)", "distance at end (m), ref / C++",
                    "ref fall frame, start spin nudged by 1e-6..1e-4 rad/s"], rows),
             "", f"Fall / no fall agree for **{agree} of 16** key sets."]
    return "\n".join(lines), results


def section_gaits(ref, fast, n_frames=1500):
    rows = []
    for name, cycle in GAITS.items():
        prog = gait_program(cycle, n_frames)
        sr, ir = run(ref, prog)
        sf, if_ = run(fast, prog)
        rows.append([name, fmt_step(sr), fmt_step(sf), f"{ir['distance'] * 10:.1f}", f"{if_['distance'] * 10:.1f}"])
    return "\n".join([f"### 3.2 Open-loop gaits, {n_frames} frames", "",
                      table(["cycle", "fall, ref", "fall, C++", "torso x at end, ref (wu)",
                             "torso x at end, C++ (wu)"], rows)])


def paired_stats(pairs, rng):
    a = np.array([p[0] is not None for p in pairs])
    b = np.array([p[1] is not None for p in pairs])
    n = len(pairs)
    steps_a = np.array([p[0] if p[0] is not None else -1 for p in pairs])
    steps_b = np.array([p[1] if p[1] is not None else -1 for p in pairs])

    def med(steps, idx):
        s = steps[idx]
        s = s[s >= 0]
        return np.median(s) if s.size else np.nan

    both = (steps_a >= 0) & (steps_b >= 0)
    d = np.abs(steps_a[both] - steps_b[both])
    return dict(
        rate_a=a.mean(), rate_b=b.mean(),
        rate_diff_ci=boot_ci(lambda i: a[i].mean() - b[i].mean(), n, rng),
        med_a=med(steps_a, np.arange(n)), med_b=med(steps_b, np.arange(n)),
        med_diff_ci=boot_ci(lambda i: med(steps_a, i) - med(steps_b, i), n, rng),
        agree=(a == b).mean(), within3=(d <= 3).mean() if d.size else np.nan,
        exact=(d == 0).mean() if d.size else np.nan, n_both=int(both.sum()),
    )


def stats_rows(name, s):
    lo, hi = s["rate_diff_ci"]
    mlo, mhi = s["med_diff_ci"]
    return [name, f"{s['rate_a']:.3f} / {s['rate_b']:.3f}", f"[{lo:+.3f}, {hi:+.3f}]",
            f"{s['med_a']:.0f} / {s['med_b']:.0f}", f"[{mlo:+.1f}, {mhi:+.1f}]",
            f"{s['agree']:.1%}", f"{s['within3']:.1%}", f"{s['exact']:.1%}"]


STATS_HEADER = ["comparison (A / B)", "fall rate A / B", "95% CI of A - B", "median fall step A / B",
                "95% CI of A - B", "same fall/no-fall", "both fall, within 3 steps", "same step"]


def section_rules():
    """The game's rules the reference shares, measured on a real run of each."""
    lines = ["## 5. The game's rules in the reference", ""]
    # Track and camera: the QP5/WO5 gait for 1500 frames.
    env = ReferenceQWOPEnv(**FRAME_BY_FRAME, max_episode_steps=0)
    env.reset()
    cycle = gait_program([("QP", 5), ("WO", 5)], 1500)
    moves = 0
    prev = env.game_state()["floor_x"]
    for a in cycle:
        env.step(a)
        s = env.game_state()
        k = np.floor(s["camera_x"] / runner_table.SEGMENT_PX)  # next frame's placement
        moves += s["floor_x"] != prev
        prev = s["floor_x"]
    lines.append(f"* Track: QP5/WO5 for 1500 frames carries the torso to x = {env.body_state[0, 0]:.1f}; "
                 f"the three segments were re-placed on {moves} frames (each time the camera crossed "
                 f"a multiple of 640 px) and ended at {prev} (camera {s['camera_x']:.0f} px, k = {k:.0f}).")
    env.close()
    # Hurdle: asleep for the whole run until touched.
    fid = ReferenceQWOPEnv(**FRAME_BY_FRAME, max_episode_steps=0)
    fid.reset()
    woke = None
    for f, keys in enumerate(oracle.program_keys(oracle.load_program("hurdle_QP5_WO5")), 1):
        fid._frame(runner_table.key_mask(keys))
        if woke is None and fid.game_state()["hurdle_awake"]:
            woke = (f, float(fid.body_state[0, 0]))
        if fid._ended:
            break
    s = fid.game_state()
    lines.append(f"* Hurdle: created asleep and kept asleep (Box2D 2.3 would wake it when a track "
                 f"segment is placed under it); in the hurdle program it woke at frame "
                 f"{woke[0] if woke else '-'} with the torso at x = {woke[1] if woke else float('nan'):.1f} "
                 "(the game: frame 3152, x = 491). The same program in the reference: "
                 f"jumped {s['jumped']}, landed {s['jumpLanded']}, fallen {s['fallen']}, game ended at "
                 f"frame {f} with the torso at x = {fid.body_state[0, 0]:.2f} (the game: landing at frame "
                 "6936, x = 994.14).")
    fid.close()
    return "\n".join(lines)


def section_fidelity():
    rows = []
    results = []
    for name in oracle.program_names():
        r, c = reference_fidelity(name), engine_fidelity(name)
        results.append((r, c))
        rows.append([name, r["frames"]] + [r[f"frames_within_{t:g}"] for t in TOLERANCES] +
                    [f"{r['max_gap']:.3g}", fmt_end(r["end_frame"]), fmt_end(r["end_frame_game"]),
                     f"{r['torso_x']:.2f} / {r['torso_x_game']:.2f}",
                     "exact" if c["frames_within_1e-09"] == c["frames"] + 1 else
                     f"DIFFERS from row {c['frames_within_1e-09']}"])
    return "\n".join([
        "## 6. How far the reference is from the real game", "",
        "Each oracle program run frame by frame in the reference (`reference_fidelity`), compared "
        "with the recording: the number of rows from row 0 (the start) on in which every body's "
        "x, y and angle agree within the tolerance; the largest gap over the recording (wu or "
        "rad); the frame at which the game ended; the torso x at the last recorded row. A count of "
        "1 is the start row alone (the float32 start pose is ~1e-7 from the game's doubles), 0 "
        "means even that differs (the R start has one frame of physics before row 0). The last "
        "column is the C++ engine run the same way (`engine_fidelity`).", "",
        table(["program", "frames", "rows within 1e-9", "within 1e-6", "within 1e-3", "max gap",
               "end frame, ref", "end frame, game", "final torso x, ref / game", "C++ engine"], rows),
    ]), results


def fmt_end(f):
    return "-" if f is None else str(f)


# ------------------------------------------------------------- throughput
def throughput(rounds, steps, seed):
    """Steps/s of each env at the defaults (frames_per_step=4, 9 actions),
    random actions with resets as episodes end, interleaved A B A B."""
    envs = {"QWOPEnv (C++)": QWOPEnv(), "ReferenceQWOPEnv (pybox2d)": ReferenceQWOPEnv()}
    actions = np.random.default_rng(seed).integers(9, size=steps)
    step_rates = {k: [] for k in envs}
    reset_rates = {k: [] for k in envs}
    for env in envs.values():  # warm-up: imports, first world, caches
        env.reset(seed=seed)
        for a in actions[:200]:
            if any(env.step(int(a))[2:4]):
                env.reset()
    for _ in range(rounds):
        for name, env in envs.items():
            env.reset(seed=seed)
            t0 = time.perf_counter()
            for a in actions:
                _, _, terminated, truncated, _ = env.step(int(a))
                if terminated or truncated:
                    env.reset()
            step_rates[name].append(steps / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            for _ in range(300):
                env.reset()
            reset_rates[name].append(300 / (time.perf_counter() - t0))
    for env in envs.values():
        env.close()
    return step_rates, reset_rates


# -------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=500, help="random key programs (default 500)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random programs (default 0)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds (default 7)")
    parser.add_argument("--steps", type=int, default=3000, help="env steps per timing round (default 3000)")
    parser.add_argument("--out", metavar="PATH", help="also write the report to PATH (e.g. bench/CROSSCHECK.md)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_start = os.getloadavg()
    rng = np.random.default_rng(args.seed)
    out = []
    ref, fast = ReferenceQWOPEnv(**FRAME_BY_FRAME), QWOPEnv(**FRAME_BY_FRAME)
    command = " ".join(["python bench/crosscheck.py"] +
                       [shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)])
    out += ["# ReferenceQWOPEnv (pybox2d) vs QWOPEnv (the game's arithmetic) vs the real game", "",
            f"Generated by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC "
            f"(qwop-fast {__version__}, Python {platform.python_version()}, pybox2d {Box2D.__version__}, "
            f"{os.cpu_count()} CPUs, load average {load_start[0]:.2f} at the start). Every number below "
            "was measured in this run by this script. The C++ engine reproduces the real game bit for "
            "bit (section 6, last column), so 'C++' below is also 'the game'.", ""]
    out += [section_world(ref, fast), "", section_divergence(ref, fast)]
    sanity_text, sanity = section_sanity(ref, fast)
    out += [sanity_text, "", section_gaits(ref, fast), ""]

    programs = [random_program(rng) for _ in range(args.programs)]
    pairs = [(run(ref, p)[0], run(fast, p)[0]) for p in programs]
    floors = {spin: [(pr[0], run(ref, p, spin=spin)[0]) for pr, p in zip(pairs, programs)] for spin in NUDGES}
    train_ref, train_fast = ReferenceQWOPEnv(), QWOPEnv()
    train_pairs = []
    for _ in range(args.programs):
        prog = [int(a) for a in rng.integers(9, size=100)]
        train_pairs.append((run(train_ref, prog)[0], run(train_fast, prog)[0]))
    s_main = paired_stats(pairs, rng)
    s_floor = {spin: paired_stats(p, rng) for spin, p in floors.items()}
    s_train = paired_stats(train_pairs, rng)
    out += [f"## 4. {args.programs} random key programs (seed {args.seed})", "",
            "Each program holds random key sets (16 actions) for random 1-30 frames, 100 frames in all, "
            "frames_per_step=1; a program ends early when the runner falls. The 'nudged' rows run the "
            "reference against itself with the torso's start spin changed: how much a perturbation "
            "moves the outcomes within one engine. The last row is the training configuration "
            "(9 actions, frames_per_step=4, uniform random actions, 100 steps). Confidence intervals: "
            "paired bootstrap over programs.", "",
            table(STATS_HEADER, [stats_rows("**ref / C++**", s_main)] +
                  [stats_rows(f"ref / ref nudged by {spin:g} rad/s", s_floor[spin]) for spin in NUDGES] +
                  [stats_rows("ref / C++, training config", s_train)]), ""]
    out += [section_rules(), ""]
    fidelity_text, fidelity = section_fidelity()
    out += [fidelity_text, ""]

    step_rates, reset_rates = throughput(args.rounds, args.steps, args.seed)
    names = list(step_rates)
    ratio = np.array(step_rates[names[0]]) / np.array(step_rates[names[1]])
    rows = [[n, f"{np.median(step_rates[n]):,.0f}", f"{min(step_rates[n]):,.0f} - {max(step_rates[n]):,.0f}",
             f"{np.median(reset_rates[n]):,.0f}"] for n in names]
    load_end = os.getloadavg()
    out += ["## 7. Single-env throughput (frames_per_step=4, defaults)", "",
            f"{args.rounds} rounds, each env in turn ({args.steps} steps of the same seeded random actions "
            "with a reset whenever an episode ends, then 300 resets), one thread, same process.", "",
            table(["env", "steps/s (median)", "range over rounds", "resets/s (median)"], rows), "",
            f"Per-round ratio C++ / reference: median **{np.median(ratio):.2f}x** "
            f"(range {ratio.min():.2f}-{ratio.max():.2f}). Load average {load_end[0]:.2f} at the end "
            "(the machine is shared; interleaving makes both envs see the same load). A single "
            "QWOPEnv pays Gymnasium's per-step Python costs like the reference does; batching "
            "(QWOPVecEnv) is not measured here.", ""]
    out += [discussion(sanity, s_main, s_floor, s_train, fidelity), ""]
    out += [f"_Run time {time.perf_counter() - started:.0f} s._", ""]
    for env in (ref, fast, train_ref, train_fast):
        env.close()
    report = "\n".join(out)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


def discussion(sanity, s_main, s_floor, s_train, fidelity):
    o, qo = sanity[ACTION["O"]], sanity[ACTION["QO"]]
    falls = [(r["program"], r["end_frame"], r["end_frame_game"]) for r, _ in fidelity
             if r["end_frame_game"] is not None]
    lo, hi = s_main["rate_diff_ci"]
    return "\n".join([
        "## 8. Why the reference differs from the game", "",
        "The reference has the game's world and rules (sections 1, 5); it differs in the solver, "
        "which pybox2d cannot change:", "",
        "1. **float32** instead of doubles: the start pose is already 1e-7 wu off, so no row of any "
        "program agrees within 1e-9 (section 6).",
        "2. **The revolute joint**: Box2D 2.3's impulse formulation (3x3 block for point + limit, "
        "dtRatio-scaled warm start) vs the game's Box2D 2.0-style force-based joint (point, then "
        "motor, then limit; no dtRatio) [oracle F6]. The runner's joints start marginally violated "
        "and every key set drives one into a limit in 1-4 frames, so the gap exceeds 1e-3 within "
        "the first frames of every program.",
        "3. **Contacts**: polygon radius 0.01 vs the game's 0.005 (the runner stands 0.01 wu "
        "higher), b2_contactBaumgarte 0.2 vs the game's 1 (a compile-time constant, not settable "
        "from Python), and 2.3's position step weights by the true inverse masses where the game "
        "uses its 'equalized' mass x invMass products [F4, F5].",
        f"4. **Effect on outcomes.** Falls driven straight by the keys come at nearly the same frame "
        f"(held O: {fmt_step(o[0])} vs {fmt_step(o[1])}; the oracle's random programs: " +
        ", ".join(f"{p} {e} vs {g}" for p, e, g in falls if p.startswith("random") or p == "held_O") +
        f"), falls that depend on how the runner hangs on its limits much less so (held QO: "
        f"{fmt_step(qo[0])} vs {fmt_step(qo[1])}). Over random programs the fall rates are "
        f"{s_main['rate_a']:.3f} vs {s_main['rate_b']:.3f} (95% CI of the difference [{lo:+.3f}, {hi:+.3f}]), "
        f"same verdict for {s_main['agree']:.0%} of programs; in the training configuration "
        f"{s_train['rate_a']:.3f} vs {s_train['rate_b']:.3f}.",
        f"5. **Not chaos at the float32 level.** Nudging the reference's start by {NUDGES[1]:g} rad/s "
        f"keeps {s_floor[NUDGES[1]]['agree']:.1%} of its verdicts and {s_floor[NUDGES[1]]['exact']:.0%} of "
        f"its fall steps; swapping the solver keeps {s_main['agree']:.0%} and {s_main['exact']:.0%}.",
        "6. **Worked around** (the game's behaviour restored on top of pybox2d): Box2D 2.3 wakes a "
        "sleeping body when the broad phase pairs it (the hurdle, when a track segment is placed "
        "under it) and when a joint setter runs (a ragdoll asleep after a fall); the env puts them "
        "back to sleep, as the game leaves them. pybox2d's continuous physics is switched off, as "
        "the game's is.",
    ])


if __name__ == "__main__":
    main()
