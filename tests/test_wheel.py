"""The wheel installs and runs in a fresh virtual environment, and installs
nothing but `patchmod.*` (no generic top-level `cli` or `codemods`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from gitrepo import GIT_ENV, git, make_repo, write

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                              ".pytest_cache", ".hypothesis")

BASE = '''\
from datetime import timedelta

from temporalio import workflow


@workflow.defn
class GreetWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(seconds=1))
        return f"hello {name}"
'''
EDITED = BASE.replace("seconds=1", "seconds=5")


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, **GIT_ENV}


def _run(*args: str | Path, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=_clean_env(), capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{args} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Build from a copy, so that the build's own folders never land in the tree.
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=SKIP)
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", tmp / "dist", source, cwd=tmp)
    wheels = sorted((tmp / "dist").glob("patchmod-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_installs_only_under_patchmod(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"patchmod", next(t for t in tops if t.endswith(".dist-info"))}, tops
    assert "patchmod/cli/main.py" in names
    assert "patchmod/codemods/introduce.py" in names
    assert not any(n.startswith(("cli/", "codemods/", "tests/", "testdata/")) for n in names)
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "patchmod = patchmod.cli.main:main" in entry_points


def test_wheel_runs_introduce_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    bin_dir = venv / "bin"
    # Dependencies come from the package index pip is configured with.
    _run(bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel,
         cwd=tmp_path, timeout=600)

    # The installed copy is the one that runs, not the source tree.
    where = _run(bin_dir / "python", "-c", "import patchmod.cli.main as m; print(m.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout
    for generic in ("cli", "codemods"):
        missing = subprocess.run([bin_dir / "python", "-c", f"import {generic}"], cwd=tmp_path,
                                 env=_clean_env(), capture_output=True, text=True)
        assert missing.returncode != 0, f"`import {generic}` works in the fresh venv"

    assert "introduce" in _run(bin_dir / "patchmod", "--help", cwd=tmp_path).stdout

    repo = make_repo(tmp_path / "repo", {"greet.py": BASE})
    write(repo, "greet.py", EDITED)
    done = _run(bin_dir / "patchmod", "-C", repo, "introduce", "longer-greeting-sleep-v1", cwd=tmp_path)
    assert "committed" in done.stdout
    assert git(repo, "log", "-1", "--format=%s").strip() == "patchmod: introduce longer-greeting-sleep-v1"
    text = (repo / "greet.py").read_text()
    assert 'if workflow.patched("longer-greeting-sleep-v1"):' in text
    assert git(repo, "status", "--porcelain") == ""
