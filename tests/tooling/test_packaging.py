"""The public names and the Hypothesis entry point, checked in fresh interpreters."""

import subprocess
import sys

import pytest

import crmcore


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_all_lists_exactly_the_public_names() -> None:
    # names load on first use: dir() lists them all, loaded or not
    public = {name for name in dir(crmcore) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(crmcore, name)).__name__ == "module"}
    assert set(crmcore.__all__) == public - modules
    assert crmcore.__version__ == "0.1.0"


@pytest.mark.parametrize(
    "code",
    [
        # the entry point registers crmcore's types, whichever is imported first
        "import hypothesis.strategies as st; from crmcore import Money;"
        "assert isinstance(st.from_type(Money).example(), Money)",
        "import crmcore; import hypothesis.strategies as st;"
        "assert isinstance(st.from_type(crmcore.Money).example(), crmcore.Money)",
        "import crmcore.testing.strategies as s; import hypothesis.strategies as st;"
        "from crmcore import Money; assert isinstance(st.from_type(Money).example(), Money)",
    ],
)
def test_hypothesis_entry_point_registers_strategies_in_any_import_order(code: str) -> None:
    result = _run(code)
    assert result.returncode == 0, result.stderr


def test_importing_hypothesis_does_not_import_the_strategies_module() -> None:
    result = _run("import sys, hypothesis; assert 'crmcore.testing.strategies' not in sys.modules")
    assert result.returncode == 0, result.stderr


def test_importing_crmcore_imports_neither_hypothesis_nor_cattrs() -> None:
    result = _run(
        "import sys, crmcore, crmcore.analytics, crmcore.adapters;"
        "assert not {'hypothesis', 'cattrs', 'pytest'} & set(sys.modules), sorted(sys.modules)"
    )
    assert result.returncode == 0, result.stderr
