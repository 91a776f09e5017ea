"""Builds the Box2D 2.4.1 baseline engine (the one qwop-fast had before its own
physics) as bench/box2d_baseline/build/_box2d_engine*.so, for
bench/engine_speed.py. Its sources are taken from this repository's history
(the last commit before the new physics), not kept as a second copy. Needs
git and the system Box2D: `apt-get install libbox2d-dev`. The package itself
no longer needs either.

    python bench/box2d_baseline/build.py
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
REPO = os.path.dirname(os.path.dirname(HERE))
# The last commit whose engine ran on Box2D 2.4.1.
BASELINE_COMMIT = "0c4dbe4a2d348a3fd7465bd9dc71043628142dcf"


def _extract() -> str:
    """Writes the baseline's three source files into build/src; returns it."""
    src = os.path.join(BUILD, "src")
    os.makedirs(src, exist_ok=True)
    for path, name in (("ext/qwop_runner.h", "qwop_runner.h"), ("ext/qwop_runner.cpp", "qwop_runner.cpp"),
                       ("ext/_engine.pyx", "_box2d_engine.pyx")):
        try:
            text = subprocess.run(["git", "-C", REPO, "show", f"{BASELINE_COMMIT}:{path}"], check=True,
                                  capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            sys.exit(f"error: cannot read the baseline's {path} from git history ({e}); "
                     f"a full (not shallow) clone is needed")
        with open(os.path.join(src, name), "w") as f:
            f.write(text)
    return src


def build() -> str:
    """Compiles the baseline if needed; returns the folder holding the module."""
    import numpy
    from Cython.Build import cythonize
    from setuptools import Extension
    from setuptools.dist import Distribution

    if not os.path.exists("/usr/include/box2d/box2d.h") and not os.environ.get("BOX2D_INCLUDE_DIR"):
        sys.exit("error: the Box2D baseline needs the Box2D 2.4 headers: apt-get install libbox2d-dev")
    src = _extract()
    ext = Extension(
        "_box2d_engine",
        sources=[os.path.join(src, "_box2d_engine.pyx"), os.path.join(src, "qwop_runner.cpp")],
        include_dirs=[src, numpy.get_include()] + ([os.environ["BOX2D_INCLUDE_DIR"]] if os.environ.get("BOX2D_INCLUDE_DIR") else []),
        libraries=["box2d"],
        language="c++",
        extra_compile_args=["-std=c++17", "-O2"],  # as the package built it
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    dist = Distribution({"ext_modules": cythonize([ext], build_dir=BUILD, quiet=True,
                                                  compiler_directives={"language_level": "3"})})
    cmd = dist.get_command_obj("build_ext")
    cmd.build_lib = BUILD
    cmd.build_temp = os.path.join(BUILD, "tmp")
    cmd.ensure_finalized()
    cmd.run()
    return BUILD


if __name__ == "__main__":
    print(build())
