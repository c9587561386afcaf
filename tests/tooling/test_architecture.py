"""The architecture rules are enforced, and each enforcement really fires."""

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "crmcore"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    on_path = shutil.which(name)
    assert on_path is not None, f"{name} is not installed"
    return on_path


def test_no_module_inside_the_package_imports_the_root_package() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if path == SRC / "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "crmcore":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Import) and any(a.name == "crmcore" for a in node.names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.level:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} (relative)")
    assert offenders == []


def _fake_package(tmp_path: Path) -> Path:
    """A copy of the layer structure in which every contract is broken once."""
    package = tmp_path / "crmcore"
    files = {
        "__init__.py": "",
        "errors.py": "import crmcore.domain\n",  # layer violation (upward import)
        "domain/__init__.py": "import os\n",  # purity violation
        "analytics/__init__.py": "import random\n",  # purity violation
        "policy.py": "import secrets\n",  # purity violation
        "ports.py": "import sqlite3\n",  # purity violation
        "services.py": "import uuid\n",  # purity violation
        "commands.py": "",
        "rendering.py": "",
        "adapters/__init__.py": "",
        "testing/__init__.py": "",
        "cli.py": "",
    }
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_import_linter_contracts_pass_on_the_package() -> None:
    result = subprocess.run(
        [_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_import_linter_contracts_fire_on_violations(tmp_path: Path) -> None:
    fake = _fake_package(tmp_path)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (tmp_path / ".importlinter").write_text(_ini(config))
    result = subprocess.run(
        [_tool("lint-imports"), "--config", str(tmp_path / ".importlinter"), "--no-cache"],
        cwd=fake,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(fake), "PATH": str(BIN)},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout
    assert "2 broken" in output
    assert "crmcore.errors -> crmcore.domain" in output
    for forbidden in ("os", "random", "secrets", "sqlite3", "uuid"):
        assert f"-> {forbidden}" in output


def _ini(config: dict[str, object]) -> str:
    lines = ["[importlinter]", f"root_package = {config['root_package']}"]
    lines.append("include_external_packages = True")
    contracts = config["contracts"]
    assert isinstance(contracts, list)
    for number, contract in enumerate(contracts):
        lines.append(f"[importlinter:contract:{number}]")
        for key, value in contract.items():
            if isinstance(value, list):
                lines.append(f"{key} =")
                lines.extend(f"    {item}" for item in value)
            else:
                lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


BANNED = [
    "pendulum.now()",
    "pendulum.today()",
    "pendulum.DateTime.now()",
    "datetime.datetime.now()",
    "datetime.datetime.utcnow()",
    "datetime.datetime.today()",
    "datetime.date.today()",
    "time.time()",
    "time.time_ns()",
]


@pytest.mark.parametrize("call", BANNED)
def test_ruff_bans_clock_reads_in_the_domain(call: str, tmp_path: Path) -> None:
    module = call.split(".")[0]
    source = f"import {module}\n\nx = {call}\n"
    result = subprocess.run(
        [
            _tool("ruff"),
            "check",
            "--no-cache",
            "--select",
            "TID251",
            "--config",
            str(ROOT / "pyproject.toml"),
            "--stdin-filename",
            str(SRC / "domain" / "example.py"),
            "-",
        ],
        input=source,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "TID251" in result.stdout


def test_ruff_allows_the_clock_adapter_to_read_the_clock() -> None:
    result = subprocess.run(
        [
            _tool("ruff"),
            "check",
            "--no-cache",
            "--select",
            "TID251",
            "src/crmcore/adapters/clock.py",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout
