"""The root package: every public name importable, loaded on first use."""

import subprocess
import sys

import pytest

import crmcore


def test_every_public_name_resolves_and_dir_lists_them() -> None:
    for name in crmcore.__all__:
        assert getattr(crmcore, name) is not None
    assert set(crmcore.__all__) <= set(dir(crmcore))
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        crmcore.Nope  # noqa: B018


def test_importing_crmcore_loads_no_domain_module_until_a_name_is_used() -> None:
    code = (
        "import sys, crmcore\n"
        "assert 'crmcore.domain.customers' not in sys.modules\n"
        "crmcore.Customer\n"
        "assert 'crmcore.domain.customers' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
