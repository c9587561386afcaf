"""The documentation: complete, building strictly, and honest about the public names."""

import importlib
import inspect
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import crmcore

ROOT = Path(__file__).resolve().parents[2]
API = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")


def _public_modules() -> list[str]:
    names = ["crmcore"]
    for info in pkgutil.walk_packages(crmcore.__path__, "crmcore."):
        if "._" not in info.name and not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def test_every_public_name_is_in_the_api_reference() -> None:
    listed = set(re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \|", API, re.MULTILINE))
    missing = []
    for module_name in _public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            if name not in listed:
                missing.append(f"{module_name}.{name}")
    assert missing == []


def test_the_api_reference_lists_only_names_that_exist() -> None:
    sections = re.split(r"^## `([a-z_.]+)`$", API, flags=re.MULTILINE)
    for module_name, body in zip(sections[1::2], sections[2::2], strict=True):
        module = importlib.import_module(module_name)
        for name in re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \|", body, re.MULTILINE):
            assert hasattr(module, name), f"{module_name}.{name}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built once, strictly (a warning fails the build)."""
    mkdocs = Path(sys.executable).parent / "mkdocs"
    command = str(mkdocs) if mkdocs.exists() else shutil.which("mkdocs")
    assert command is not None, "mkdocs is not installed"
    built = tmp_path_factory.mktemp("docs") / "site"
    done = subprocess.run(
        [command, "build", "--strict", "--quiet", "--site-dir", str(built)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return built


def test_the_site_builds_strictly(site: Path) -> None:
    assert (site / "api" / "index.html").exists()


def test_no_doc_points_to_a_file_outside_the_repository() -> None:
    outside = ("DOMAIN.md", "DESIGN.md", "STYLE.md", "../shared")
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    sources = sorted((ROOT / "src").rglob("*.py"))
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in [*pages, *sources]
        for name in outside
        if name in path.read_text(encoding="utf-8")
    ]
    assert found == []


def test_the_generated_reference_documents_every_public_name(site: Path) -> None:
    """Every public name of every public module has a docstring, and the reference
    page built from the docstrings (mkdocstrings) has an entry for it."""
    html = (site / "reference" / "index.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="([A-Za-z0-9_.]+)"', html))
    sections = re.findall(r"^## `([a-z_.]+)`$", API, flags=re.MULTILINE)
    missing, undocumented = [], []
    for module_name in sections:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            home = getattr(value, "__module__", module_name)
            if f"{module_name}.{name}" not in anchors and f"{home}.{name}" not in anchors:
                missing.append(f"{module_name}.{name}")
            ours = (inspect.isfunction(value) or inspect.isclass(value)) and home.startswith(
                "crmcore"
            )
            if ours and not (value.__doc__ or "").strip():
                undocumented.append(f"{module_name}.{name}")
    assert missing == []
    assert undocumented == []
