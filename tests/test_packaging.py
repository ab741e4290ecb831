"""Packaging: pyproject.toml declares what requirements.txt installs, and ``pip install .`` gives
an ``nnviz`` command whose package holds nnviz and its subpackages, and nothing else.

The install runs offline into a fresh virtual environment: ``--no-build-isolation --no-index
--no-deps``, with this environment's site-packages on the new one's path (a .pth file) for the
build backend (setuptools) and the runtime dependencies.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import site
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHONPATH_FREE = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def requirements(name: str) -> list[str]:
    """The requirement lines of a requirements file, without comments and ``-r`` includes."""
    lines = (line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-r")]


def test_pyproject_declares_the_requirements_and_the_command():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert set(project["dependencies"]) == set(requirements("requirements.txt"))
    assert set(project["optional-dependencies"]["dask"]) == set(
        requirements("requirements-dask.txt")
    )
    assert project["scripts"] == {"nnviz": "nnviz.cli.main:main"}


def source_copy(folder: Path) -> Path:
    """The repository's files that matter to packaging (the build writes into its source)."""
    source = folder / "source"
    for name in ("nnviz", "app_pages", "tests", "benchmarks"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "app.py"):
        shutil.copy(ROOT / name, source / name)
    return source


def fresh_environment(folder: Path) -> tuple[Path, Path]:
    """(its python, its site-packages): a new venv that sees this one's packages after its own."""
    venv.create(folder / "env", with_pip=False, symlinks=True)
    python = folder / "env" / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    packages = Path(subprocess.check_output([python, "-c", purelib], text=True).strip())
    (packages / "dev-environment.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python, packages


def test_pip_install_gives_an_nnviz_command(tmp_path):
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools (pyproject.toml's build backend) is not installed")
    source = source_copy(tmp_path)
    python, packages = fresh_environment(tmp_path)
    pip = [python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index"]
    subprocess.run([*pip, "--quiet", source], check=True, env=PYTHONPATH_FREE, timeout=120)

    installed = {p.relative_to(packages).as_posix() for p in (packages / "nnviz").rglob("*.py")}
    assert installed == {p.relative_to(ROOT).as_posix() for p in (ROOT / "nnviz").rglob("*.py")}
    assert not {"app_pages", "tests", "benchmarks", "app.py"} & {p.name for p in packages.iterdir()}

    command = [python.parent / "nnviz", "--help"]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, env=PYTHONPATH_FREE
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert "train" in done.stdout and "sweep" in done.stdout
    where = [python, "-c", "import nnviz.cli.main as m; print(m.__file__)"]
    found = subprocess.check_output(where, text=True, cwd=tmp_path, env=PYTHONPATH_FREE)
    assert Path(found.strip()).is_relative_to(packages)  # the installed copy, not this checkout
