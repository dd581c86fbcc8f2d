"""The environment: one pin set, installed as pinned, and buildable by repo2docker (Binder/JupyterHub)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
ENVIRONMENT = yaml.safe_load((REPO / "environment.yml").read_text())


def _exact_pins() -> dict[str, str]:
    pins = {}
    for requirement in PYPROJECT["project"]["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^;\s]+)", requirement.split("#")[0].strip())
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def test_torch_is_pinned_to_the_cpu_wheel_version():
    assert _exact_pins()["torch"] == "2.13.0"


def test_installed_versions_are_the_pinned_ones():
    for name, pinned in _exact_pins().items():
        assert version(name).split("+")[0] == pinned, name


def test_environment_yml_installs_this_project_and_keeps_no_list_of_its_own():
    dependencies = ENVIRONMENT["dependencies"]
    conda = [d for d in dependencies if isinstance(d, str)]
    (pip,) = [d["pip"] for d in dependencies if isinstance(d, dict)]
    assert sorted(conda) == ["pip", "python=3.11"]  # conda builds use the CPU wheel index for 3.11
    assert "-e ." in pip  # the learner install: no extras
    assert [line for line in pip if not line.startswith(("-e", "--"))] == []
    assert ENVIRONMENT["channels"][0] == "conda-forge"


DEV_TOOLS = ("pytest", "nbval", "playwright", "hypothesis", "ruff", "jupyter-repo2docker", "nbclient")


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=~!;]", requirement.strip(), maxsplit=1)[0].lower()


def test_learners_get_no_test_or_browser_tooling():
    learner = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    assert not learner & set(DEV_TOOLS)
    extras = PYPROJECT["project"]["optional-dependencies"]
    dev = {_name(r) for r in extras["dev"]}
    assert "lessonkit" in dev  # dev = the test extra (via lessonkit[test]) + lint, browser and Binder tools
    assert dev | {_name(r) for r in extras["test"]} >= set(DEV_TOOLS)


def test_a_learner_install_resolves_without_dev_tools(tmp_path):
    """What pip would install for `-e .` (environment.yml's line): resolved for real, nothing downloaded."""
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                           "--report", str(report), "-e", str(REPO)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    names = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert {"torch", "jupyterlab", "ipywidgets", "lessonkit"} <= names
    assert not names & {"pytest", "nbval", "playwright", "hypothesis", "ruff", "jupyter-repo2docker"}, names


def test_repo2docker_detects_a_conda_environment(tmp_path):
    executable = shutil.which("repo2docker", path=str(Path(sys.executable).parent))
    assert executable, "repo2docker is part of the dev extra"
    done = subprocess.run([executable, "--no-build", "--debug", str(REPO)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Building conda environment for python=3.11" in output
    assert "environment.yml" in output  # the Dockerfile installs from it
    assert "postBuild" in output  # ... then installs the course's JupyterLab settings
    assert not re.search(r"(?im)^\s*(error|traceback)", output)
