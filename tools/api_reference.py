"""Rewrite the tables of docs/api.md from the modules' ``__all__`` and docstrings.

Each ``## `module` `` section keeps its prose; its table is rebuilt with one
row per public name and the first line of its docstring. Run it after adding
or renaming a public name: ``python tools/api_reference.py``.
"""

import importlib
import inspect
import re
from pathlib import Path

API = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def _first_line(value: object) -> str:
    doc = inspect.getdoc(value) if not isinstance(value, str | int | tuple | dict) else None
    if not doc or (doc == inspect.getdoc(type(value)) and not inspect.isclass(value)):
        doc = None
    return " ".join(doc.strip().split("\n\n")[0].split()) if doc else ""


def _table(module_name: str, described: dict[str, str]) -> str:
    module = importlib.import_module(module_name)
    rows = ["| name | what it is |", "| --- | --- |"]
    for name in sorted(getattr(module, "__all__", ()), key=lambda n: (n.upper() != n, n)):
        line = _first_line(getattr(module, name)) or described.get(name, "")
        cell = line.replace("|", "\\|")
        rows.append(f"| `{name}` | {cell} |")
    return "\n".join(rows) + "\n"


def main() -> None:
    text = API.read_text(encoding="utf-8")
    described = dict(re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \| (.*) \|$", text, re.M))
    parts = re.split(r"^(## `[a-z_.]+`\n)", text, flags=re.M)
    out = [parts[0]]
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        module_name = heading.strip()[4:-1]
        table = re.search(r"^\| name \| what it is \|\n(?:^\|.*\|\n)*", body, re.M)
        new = _table(module_name, described)
        body = body[: table.start()] + new + body[table.end() :] if table else body
        out += [heading, body]
    API.write_text("".join(out), encoding="utf-8")


if __name__ == "__main__":
    main()
