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


@pytest.mark.parametrize(
    ("module", "blocked", "needs"),
    [
        ("crmcore.testing.contracts", "pytest", "needs pytest"),
        ("crmcore.testing.strategies", "hypothesis", "needs hypothesis"),
    ],
)
def test_the_test_kit_names_the_testing_extra_when_it_is_missing(
    module: str, blocked: str, needs: str
) -> None:
    program = (
        f"import sys; sys.modules[{blocked!r}] = None\n"
        "from crmcore.errors import MissingExtraError\n"
        "try:\n"
        f"    import {module}\n"
        "except MissingExtraError as error:\n"
        "    print(error.extra, '|', error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    extra, message = done.stdout.strip().split(" | ")
    assert extra == "testing"
    assert needs in message
    assert 'pip install "crmcore[testing]"' in message


def test_require_names_every_missing_module() -> None:
    from crmcore.errors import MissingExtraError
    from crmcore.testing._extra import require

    require("pytest", what="nothing")  # installed: no error
    with pytest.raises(MissingExtraError, match="needs no_such_a and no_such_b") as caught:
        require("pytest", "no_such_a", "no_such_b", what="this")
    assert caught.value.extra == "testing"
