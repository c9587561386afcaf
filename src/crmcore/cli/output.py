"""Rendering reports as aligned tables, CSV or JSON, and writing them safely."""

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from crmcore.domain.numbers import round_fraction

WIDTH = 80
"""The tour and the default outputs fit an 80-column terminal."""


class CliError(Exception):
    """Bad input: printed as one line on stderr, exit status 2."""


@attrs.frozen
class Table:
    """A titled table; ``numeric`` marks the right-aligned columns."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()

    def render(self) -> str:
        widths = [
            max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
            for i, h in enumerate(self.header)
        ]

        def line(cells: Sequence[str]) -> str:
            parts = [
                c.rjust(w) if i in self.numeric else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ]
            return "  ".join(parts).rstrip()

        rule = "  ".join("-" * w for w in widths)
        body = [line(self.header), rule, *(line(r) for r in self.rows)]
        return "\n".join([self.title, *body]) if self.title else "\n".join(body)

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buffer.getvalue()


@attrs.frozen
class Report:
    """What a command prints: sections (tables and paragraphs) and the same facts as data.

    ``main`` is the table written for ``--format csv`` (``None``: csv is not offered).
    """

    sections: tuple[Table | str, ...]
    data: dict[str, Any]
    main: Table | None = None

    def render(self, form: str) -> str:
        if form == "json":
            return json_text(self.data) + "\n"
        if form == "csv":
            if self.main is None:
                raise CliError(
                    "--format csv: this command's output is not a table; use table or json"
                )
            return self.main.csv()
        parts = [s.render() if isinstance(s, Table) else s for s in self.sections]
        return "\n\n".join(parts) + "\n"


def ratio(value: Fraction | None) -> Decimal | None:
    """A ratio for CSV and JSON: a decimal (``0.8``, not ``4/5`` or ``"80.0 %"``),
    rounded once to 28 significant digits; ``None`` (a share of nothing) stays
    ``None``, JSON's null."""
    return None if value is None else round_fraction(value)


def json_text(value: Any, indent: str = "") -> str:
    """``value`` as JSON, indented by two spaces, with `Decimal` written as a JSON number.

    The number is the decimal's own digits in plain notation (``7.50``, never
    ``7.5`` or ``7.5E+0``), so nothing is rounded through a float; read it back
    exactly with ``json.loads(text, parse_float=decimal.Decimal)``. Values are
    dicts with string keys, lists, tuples, strings, ints, bools, ``None`` and
    finite decimals.
    """
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {json_text(v, inner)}"
            for k, v in value.items()
        )
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = (f"{inner}{json_text(v, inner)}" for v in value)
        return "[\n" + ",\n".join(items) + f"\n{indent}]"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"JSON has no number for {value}")
        return format(value, "f")
    if value is None or isinstance(value, str | int):  # bool is an int
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def write(text: str, output: str | None, *, inputs: Sequence[str] = ()) -> None:
    """Print ``text``, or write it to ``output`` all at once (temporary file, then rename).

    An output that names an input file is refused, so an input is never overwritten.
    """
    if output is None:
        sys.stdout.write(text)
        return
    write_file(output, text, inputs=inputs)


def write_file(output: str, text: str, *, inputs: Sequence[str] = ()) -> None:
    """Write ``text`` to the file ``output`` all at once, or fail with a one-line error."""
    if not output.strip() or output.endswith(("/", os.sep)) or Path(output).name in ("", ".", ".."):
        raise CliError(f"{output!r}: is not a file name")
    target = Path(output)
    if target.is_dir():
        raise CliError(f"{output}: is a directory; name a file to write")
    for name in inputs:
        same = target.exists() and Path(name).exists() and os.path.samefile(name, target)
        if same or Path(name).resolve() == target.resolve():
            raise CliError(f"{output}: refusing to overwrite an input file; choose another name")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise CliError(f"{output}: the directory {str(directory)!r} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise CliError(f"{output}: cannot be written ({error.strerror or error})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise CliError(f"{output}: cannot be written ({error.strerror or error})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
