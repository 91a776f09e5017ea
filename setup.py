"""Builds qwop_fast._engine (Cython + C++) against the system Box2D 2.4 library.

Box2D is found, in this order, from BOX2D_INCLUDE_DIR / BOX2D_LIBRARY_DIR,
`pkg-config box2d`, or the standard system paths. If none has the headers the
build stops with one message saying what to install.
"""

import os
import shutil
import subprocess
import sys

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

STANDARD_INCLUDE_DIRS = ["/usr/include", "/usr/local/include", "/opt/homebrew/include"]
HEADER = os.path.join("box2d", "box2d.h")


def _pkg_config(*args):
    if not shutil.which("pkg-config"):
        return None
    try:
        out = subprocess.run(["pkg-config", *args, "box2d"], check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError:
        return None
    return out.stdout.split()


def find_box2d():
    """Returns (include_dirs, library_dirs) for Box2D 2.4, or exits with advice."""
    include = os.environ.get("BOX2D_INCLUDE_DIR")
    libdir = os.environ.get("BOX2D_LIBRARY_DIR")
    if include:
        if not os.path.exists(os.path.join(include, HEADER)):
            sys.exit(f"error: BOX2D_INCLUDE_DIR={include} has no {HEADER}")
        return [include], [libdir] if libdir else []
    cflags = _pkg_config("--cflags-only-I")
    if cflags is not None:
        includes = [f[2:] for f in cflags if f.startswith("-I")]
        libs = [f[2:] for f in (_pkg_config("--libs-only-L") or []) if f.startswith("-L")]
        if any(os.path.exists(os.path.join(d, HEADER)) for d in includes + STANDARD_INCLUDE_DIRS):
            return includes, libs + ([libdir] if libdir else [])
    for d in STANDARD_INCLUDE_DIRS:
        if os.path.exists(os.path.join(d, HEADER)):
            return [d], [libdir] if libdir else []
    sys.exit(
        "error: Box2D 2.4 (C++) was not found. Install it first:\n"
        "  Debian/Ubuntu: sudo apt-get install libbox2d-dev\n"
        "  macOS (Homebrew): brew install box2d@2   (Box2D v3 is a different API)\n"
        "or point BOX2D_INCLUDE_DIR / BOX2D_LIBRARY_DIR at an install of Box2D 2.4.1."
    )


include_dirs, library_dirs = find_box2d()

engine = Extension(
    "qwop_fast._engine",
    sources=["ext/_engine.pyx", "ext/qwop_runner.cpp"],
    depends=["ext/qwop_runner.h"],
    include_dirs=["ext", numpy.get_include(), *include_dirs],
    library_dirs=library_dirs,
    libraries=["box2d"],
    language="c++",
    extra_compile_args=["-std=c++17", "-O2"],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
)

setup(ext_modules=cythonize([engine], compiler_directives={"language_level": "3"}))
