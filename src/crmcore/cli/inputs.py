"""Reading CSV and TOML inputs; every problem names the file, the line and the column."""

import csv
import datetime as _dt
import io
import os
import re
import stat
import sys
import tomllib
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum

from crmcore.cli.output import CliError
from crmcore.domain.currencies import MINOR_UNITS

PROGRESS_EVERY = 100_000


def _where(path: str, line: int, column: str | None = None) -> str:
    place = f"{path}, line {line}"
    return place + (f", column {column!r}" if column is not None else "")


MAX_SHOWN_COLUMNS = 20
"""How many header names an error about a missing column lists."""
MAX_SHOWN_NAME = 40
"""How many characters of a column name an error shows."""


def _name(column: str) -> str:
    """A column name for a message, cut to `MAX_SHOWN_NAME` characters."""
    if len(column) <= MAX_SHOWN_NAME:
        return repr(column)
    return repr(column[:MAX_SHOWN_NAME]) + "..."


MAX_INPUT_BYTES = 256 * 1024 * 1024
"""The largest input file read (256 MiB)."""


def read_text(path: str) -> str:
    """The file's text, newlines kept as written (the csv module reads them).

    Only regular files are read (a FIFO, a device or a directory is refused
    before anything is read), at most `MAX_INPUT_BYTES`.
    """
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise CliError(f"{path}: is a directory, expected a file")
        if not stat.S_ISREG(info.st_mode):
            raise CliError(f"{path}: is not a regular file (a pipe or a device?)")
        if info.st_size > MAX_INPUT_BYTES:
            raise CliError(f"{path}: is larger than the 256 MiB crmcore reads")
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except OSError as error:
        raise CliError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CliError(f"{path}, line {line}: is not UTF-8 text") from None


def missing_column(path: str, header: list[str], option: str, column: str) -> CliError:
    """The error for a column the header lacks, against the option that named it."""
    other = next((d for d in (";", "\t", "|") if any(d in h for h in header)), None)
    hint = (
        f"; the file looks separated by {other!r}: crmcore reads comma-separated files"
        if other
        else ""
    )
    shown = ", ".join(_name(h) for h in header[:MAX_SHOWN_COLUMNS])
    more = ", ..." if len(header) > MAX_SHOWN_COLUMNS else ""
    origin = f" (given by {option})" if option.startswith("--") else ""
    return CliError(
        f"{_where(path, 1)}: missing column {_name(column)}{origin}; "
        f"the header has {shown}{more}{hint}"
    )


class Rows:
    """The rows of a CSV file with a header, as (line number, column → text)."""

    def __init__(self, path: str, columns: Mapping[str, str]) -> None:
        """``columns``: the option that names each column (``{"--id": "customer"}``),
        so that a missing column is reported against its option; a column the
        file format fixes maps to itself (``{"campaign": "campaign"}``)."""
        self.path = path
        text = read_text(path)
        if not text.strip():
            raise CliError(
                f"{_where(path, 1)}: the file is empty; expected a header row with the "
                f"columns {', '.join(columns.values())}"
            )
        self._reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in self._next(1)]
        for option, column in columns.items():
            if column not in header:
                raise missing_column(path, header, option, column)
        self.header = header
        self._positions = {c: header.index(c) for c in columns.values()}

    def _next(self, line: int) -> list[str]:
        """The next record, which starts on ``line``."""
        try:
            return next(self._reader)
        except csv.Error as error:
            raise CliError(f"{_where(self.path, line)}: cannot be read as CSV ({error})") from None

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        show_progress = sys.stderr.isatty()
        count = 0
        while True:
            line = self._reader.line_num + 1  # where the record starts (it may span lines)
            try:
                fields = self._next(line)
            except StopIteration:
                return
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(self.header):
                raise CliError(
                    f"{_where(self.path, line)}: expected {len(self.header)} columns, "
                    f"found {len(fields)}"
                )
            count += 1
            if show_progress and count % PROGRESS_EVERY == 0:
                print(f"crmcore: {self.path}: {count:,} rows read", file=sys.stderr)
            yield line, {c: fields[i].strip() for c, i in self._positions.items()}

    def number(self, line: int, column: str, text: str) -> Decimal:
        """A finite number of 0 or more."""
        value = finite(text)
        if value is None:
            raise CliError(
                f"{_where(self.path, line, column)}: expected a plain decimal number "
                "such as 1250.50 (no exponent, at most 60 characters)"
            )
        if value < 0:
            raise CliError(f"{_where(self.path, line, column)}: expected a number of 0 or more")
        return value

    def date(self, line: int, column: str, text: str) -> pendulum.Date:
        day = iso_date(text)
        if day is None:
            raise CliError(f"{_where(self.path, line, column)}: expected a date like 2030-01-31")
        return day

    def fail(self, line: int, column: str, problem: str) -> CliError:
        return CliError(f"{_where(self.path, line, column)}: {problem}")


PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
MAX_NUMBER_LENGTH = 60


def finite(text: str) -> Decimal | None:
    """A plain decimal number written in ``text`` (digits, one optional point and
    sign, at most 60 characters; no exponent), or ``None``."""
    text = text.strip()
    if len(text) > MAX_NUMBER_LENGTH or not PLAIN_NUMBER.fullmatch(text):
        return None
    return Decimal(text)


def iso_date(text: str) -> pendulum.Date | None:
    """A calendar date written YYYY-MM-DD, or ``None``."""
    try:
        day = _dt.date.fromisoformat(text)
    except ValueError:
        return None
    return pendulum.Date(day.year, day.month, day.day)


def currency(code: str | None) -> str | None:
    """A currency code given on the command line."""
    if code is not None and code not in MINOR_UNITS:
        raise CliError("--currency: unknown currency; expected an ISO 4217 code like USD")
    return code


def read_toml(path: str) -> tuple[dict[str, Any], str]:
    text = read_text(path)
    if not text.strip():
        raise CliError(f"{_where(path, 1)}: the file is empty; expected TOML")
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        detail = message.split(" (at line")[0]
        line, column = _toml_position(message)
        return_line = f"{path}, line {line}, column {column}" if line else path
        raise CliError(f"{return_line}: malformed TOML: {detail}") from None
    except RecursionError:
        raise CliError(
            f"{path}: malformed TOML: arrays or tables nested too deeply "
            "(a vendors file needs two levels)"
        ) from None


def _toml_position(message: str) -> tuple[int, int]:
    if "(at line " not in message:
        return 0, 0
    tail = message.split("(at line ", 1)[1].rstrip(")")
    line_text, _, column_text = tail.partition(", column ")
    return int(line_text), int(column_text)


def locate(text: str, *needles: str, after: str | None = None) -> tuple[int, int]:
    """Line and column (1-based) of the first of ``needles`` found (after the first
    occurrence of ``after``, when given); (1, 1) if none is."""
    start = 0
    if after is not None:
        found = text.find(after)
        start = found if found >= 0 else 0
    for needle in needles:
        at = text.find(needle, start)
        if at >= 0:
            line = text.count("\n", 0, at) + 1
            return line, at - (text.rfind("\n", 0, at) + 1) + 1
    return 1, 1
