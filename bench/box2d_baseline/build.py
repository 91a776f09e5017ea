"""Builds the Box2D 2.4.1 baseline engine (the one qwop-fast had before its own
physics) as bench/box2d_baseline/build/_box2d_engine*.so, for
bench/engine_speed.py. Needs the system Box2D: `apt-get install libbox2d-dev`.
The package itself no longer needs it.

    python bench/box2d_baseline/build.py
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")


def build() -> str:
    """Compiles the baseline if needed; returns the folder holding the module."""
    import numpy
    from Cython.Build import cythonize
    from setuptools import Extension
    from setuptools.dist import Distribution

    if not os.path.exists("/usr/include/box2d/box2d.h") and not os.environ.get("BOX2D_INCLUDE_DIR"):
        sys.exit("error: the Box2D baseline needs the Box2D 2.4 headers: apt-get install libbox2d-dev")
    os.makedirs(BUILD, exist_ok=True)
    ext = Extension(
        "_box2d_engine",
        sources=[os.path.join(HERE, "_box2d_engine.pyx"), os.path.join(HERE, "box2d_runner.cpp")],
        include_dirs=[HERE, numpy.get_include()] + ([os.environ["BOX2D_INCLUDE_DIR"]] if os.environ.get("BOX2D_INCLUDE_DIR") else []),
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
