"""Builds qwop_fast._engine: the Cython binding and the engine's plain C++.

The engine needs only a C++17 compiler: the physics is our own
implementation of the game's Box2D arithmetic (ext/qwop_physics.cpp), so no
physics library is linked. Floating-point contraction and fast-math stay off:
the game computes in IEEE doubles without fused multiply-adds, and
bit-identical trajectories depend on doing the same. (-fno-math-errno only
lets sqrt skip setting errno; its result is correctly rounded either way.)
"""

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

engine = Extension(
    "qwop_fast._engine",
    sources=["ext/_engine.pyx", "ext/qwop_runner.cpp", "ext/qwop_physics.cpp", "ext/qwop_lockstep.cpp"],
    depends=["ext/qwop_runner.h", "ext/qwop_physics.h", "ext/qwop_lockstep.h", "ext/fdlibm_trig.h"],
    include_dirs=["ext", numpy.get_include()],
    language="c++",
    extra_compile_args=["-std=c++17", "-O3", "-ffp-contract=off", "-fno-fast-math", "-fno-math-errno", "-pthread",
                        # calls inside the engine may be inlined (nothing interposes them)
                        "-fvisibility=hidden", "-fno-semantic-interposition"],
    extra_link_args=["-pthread"],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
)

setup(ext_modules=cythonize([engine], compiler_directives={"language_level": "3"}))
