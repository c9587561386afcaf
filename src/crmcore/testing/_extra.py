"""The ``testing`` extra: a clear error when it is not installed."""

import importlib

from crmcore.errors import MissingExtraError


def require(*modules: str, what: str) -> None:
    """Raise `MissingExtraError` naming the ``testing`` extra unless ``modules``
    can all be imported.

    Args:
        modules: the top-level modules needed (``"hypothesis"``, ``"pytest"``).
        what: what needs them, for the message.
    """
    missing = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise MissingExtraError(
            f'{what} needs {" and ".join(missing)}: pip install "crmcore[testing]"',
            extra="testing",
        )
