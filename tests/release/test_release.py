"""What the release promises in its documents: the version, the README's figures and settings,
and a Dockerfile built with the README's own commands. (No Docker engine runs here, so the
Dockerfile is checked as text, not built.)"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from agent_runtime import __version__
from agent_runtime.app import create_app
from agent_runtime.config import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def test_version_has_one_source() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert __version__ == pyproject["project"]["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    first_entry = re.search(r"^## (\S+)", changelog, re.MULTILINE)
    assert first_entry is not None and first_entry.group(1) == __version__


def test_readme_counts_the_generated_operations(settings: Settings) -> None:
    spec = create_app(settings).openapi()
    operations = sum(len(HTTP_METHODS & set(item)) for item in spec["paths"].values())
    stated = re.search(r"(\d+) operations on (\d+) paths", README)
    assert stated is not None, "README must state 'N operations on M paths'"
    assert (int(stated.group(1)), int(stated.group(2))) == (operations, len(spec["paths"]))


def test_readme_lists_every_environment_variable() -> None:
    names = [(field.alias or name).upper() for name, field in Settings.model_fields.items()]
    missing = [name for name in names if f"`{name}`" not in README]
    assert missing == []


def test_dockerfile_builds_and_runs_with_the_readme_commands() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) >= 2
    assert "pip install --no-cache-dir uv && uv sync --frozen --no-dev" in dockerfile
    assert re.search(r'^CMD \["uv", "run", .*"agent-runtime"\]', dockerfile, re.MULTILINE)
    user = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert user and user[-1] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK .*\n.*/health", dockerfile, re.MULTILINE)
    assert "uv sync" in README and "uv run agent-runtime" in README
    assert "docker build" in README and "docker run" in README
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests"} <= set(ignored)
