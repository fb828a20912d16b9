"""Where the ctypes wrapper finds the C library without ``LWBS_LIBRARY``: the CMake build
directory of README's commands (``build/lib``) as well as cargo's ``target/{release,debug}``,
the newest winning. Each case runs ``library_path()`` of a copy of the wrapper in a scratch
repository layout, in a subprocess (the module computes the root from its own file)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _layout(tmp_path: Path, libs: dict[str, int]) -> Path:
    """A scratch repository with python/lwm2m_bootstrap and, per relative path, an empty
    liblwm2m_bootstrap.so with that modification time."""
    shutil.copytree(ROOT / "python" / "lwm2m_bootstrap", tmp_path / "python" / "lwm2m_bootstrap")
    for rel, mtime in libs.items():
        lib = tmp_path / rel / "liblwm2m_bootstrap.so"
        lib.parent.mkdir(parents=True, exist_ok=True)
        lib.write_bytes(b"")
        os.utime(lib, (mtime, mtime))
    return tmp_path


def _library_path(repo: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LWBS_LIBRARY"}
    code = ("import sys; sys.path.insert(0, 'python')\n"
            "from lwm2m_bootstrap._ffi import library_path\n"
            "print(library_path())")
    return subprocess.run([sys.executable, "-c", code], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=60)


def test_the_cmake_build_directory_is_found(tmp_path):
    repo = _layout(tmp_path, {"build/lib": 2_000_000_000})
    out = _library_path(repo)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(repo / "build" / "lib" / "liblwm2m_bootstrap.so")


def test_the_newest_of_build_and_target_wins(tmp_path):
    repo = _layout(tmp_path, {"build/lib": 1_000_000_000, "target/debug": 2_000_000_000,
                              "target/release": 1_500_000_000})
    out = _library_path(repo)
    assert out.stdout.strip() == str(repo / "target" / "debug" / "liblwm2m_bootstrap.so")
    os.utime(repo / "build" / "lib" / "liblwm2m_bootstrap.so", (2_100_000_000, 2_100_000_000))
    out = _library_path(repo)
    assert out.stdout.strip() == str(repo / "build" / "lib" / "liblwm2m_bootstrap.so")


def test_no_library_names_both_places(tmp_path):
    repo = _layout(tmp_path, {})
    out = _library_path(repo)
    assert out.returncode != 0
    assert "build/lib" in out.stderr and "target/{release,debug}" in out.stderr
