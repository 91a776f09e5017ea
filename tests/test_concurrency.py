"""Concurrent use of one Engine and os.fork() after threads were started
(issue 12, items 1 and 2). Each case runs in a child process: a segfault,
an abort or a deadlock fails the test instead of the test run."""

from __future__ import annotations

import json
import textwrap

# Two threads hammering one engine: every call either runs alone or gets the
# engine's RuntimeError; nothing crashes, nothing deadlocks.
TWO_THREADS = """
import json, threading
import numpy as np
from qwop_fast._engine import Engine

e = Engine(8, num_threads=2)
actions = np.arange(8, dtype=np.int64) % 9
ok, refused, other = [0, 0], [0, 0], []
start = threading.Barrier(2)

def worker(k):
    start.wait()
    for i in range(300):
        try:
            if i % 7 == 3:
                e.reset([k, 5])
            elif i % 11 == 5:
                e.set_options(frames_per_step=1 + i % 3)
            else:
                e.step(actions)
            ok[k] += 1
        except RuntimeError as exc:
            refused[k] += 1
            if "in use" not in str(exc):
                other.append(str(exc))
        except Exception as exc:
            other.append(repr(exc))

threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
for t in threads: t.start()
for t in threads: t.join()
e.step(actions)  # still usable afterwards
print(json.dumps({"ok": ok, "refused": refused, "other": other}))
"""

# close() from the main thread while a worker steps: refused (the engine
# refuses rather than waits), and once the worker has stopped it closes and
# every further call says the engine is closed.
CLOSE_DURING_STEP = """
import json, threading, time
import numpy as np
from qwop_fast._engine import Engine

e = Engine(64, num_threads=2)
actions = np.zeros(64, np.int64)
stop, seen = threading.Event(), {"steps": 0}

def worker():
    while not stop.is_set():
        e.step(actions)
        seen["steps"] += 1

t = threading.Thread(target=worker)
t.start()
while seen["steps"] < 5:
    time.sleep(0.001)
refused = []
for _ in range(50):  # the worker is inside step() nearly all the time
    try:
        e.close()
        break
    except RuntimeError as exc:
        refused.append(str(exc))
stop.set()
t.join(20)
closed_error = ""
if not e.closed:
    e.close()
try:
    e.step(actions)
except RuntimeError as exc:
    closed_error = str(exc)
print(json.dumps({"closed": e.closed, "refused": len(refused), "message": refused[:1],
                  "alive": t.is_alive(), "closed_error": closed_error}))
"""

# A threaded engine, then os.fork(): the child steps (its own thread pool)
# and must finish, with the same result as the parent's twin engine.
FORK = """
import json, os, time
import numpy as np
from qwop_fast._engine import Engine

e = Engine(16, num_threads=2)
twin = Engine(16, num_threads=1)
actions = np.arange(16, dtype=np.int64) % 9
for engine in (e, twin):
    engine.step(actions)  # the pool's threads are running now
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    try:
        for _ in range(5):
            e.step(actions)
        os.write(w, e.obs.tobytes())
    except BaseException as exc:
        os.write(w, repr(exc).encode())
    os._exit(0)
os.close(w)
deadline, status = time.time() + 20, None
while time.time() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.01)
else:
    os.kill(pid, 9)
    print(json.dumps({"hung": True}))
    raise SystemExit(0)
out = b""
while chunk := os.read(r, 1 << 16):
    out += chunk
for _ in range(5):
    twin.step(actions)
e.step(actions)  # the parent's pool still works too
print(json.dumps({"hung": False, "status": status, "same": out == twin.obs.tobytes(),
                  "child_said": out[:200].decode("latin-1") if out != twin.obs.tobytes() else ""}))
"""


def _last_json(proc) -> dict:
    assert proc.returncode == 0, f"child exited with {proc.returncode}:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_two_threads_on_one_engine_get_a_clear_error_never_a_crash(child):
    runs = [_last_json(child(TWO_THREADS, timeout=120)) for _ in range(2)]
    for out in runs:
        assert out["other"] == [], out["other"][:3]
        assert sum(out["ok"]) + sum(out["refused"]) == 600
    # The threads did overlap (else the test proved nothing).
    assert sum(sum(out["refused"]) for out in runs) > 0


def test_close_while_another_thread_steps_refuses_then_closes(child):
    out = _last_json(child(CLOSE_DURING_STEP, timeout=60))
    assert out["closed"] and not out["alive"], out
    assert out["refused"] > 0 and "another thread" in out["message"][0]
    assert "closed" in out["closed_error"]


def test_step_in_a_forked_child_works_and_does_not_hang(child):
    out = _last_json(child(FORK, timeout=60))
    assert not out["hung"], "the forked child hung"
    assert out["status"] == 0 and out["same"], out


def test_two_threads_on_one_vec_env_never_crash(child):
    code = textwrap.dedent("""
        import json
        from concurrent.futures import ThreadPoolExecutor
        import numpy as np
        from qwop_fast import QWOPVecEnv
        venv = QWOPVecEnv(8, num_threads=2)
        venv.reset()
        errors, other = [], []
        def worker(k):
            a = np.full(8, k, np.int64)
            for _ in range(200):
                try:
                    venv.step(a)
                except RuntimeError as exc:
                    errors.append(str(exc))
                except Exception as exc:
                    other.append(repr(exc))
        with ThreadPoolExecutor(2) as pool:  # two threads at once on the one VecEnv
            list(pool.map(worker, range(2)))
        print(json.dumps({"errors": len(errors), "other": other[:3]}))
    """)
    out = _last_json(child(code, timeout=120))
    assert out["other"] == []
