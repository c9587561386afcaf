"""A real PostgreSQL server for the tests, started and stopped by the suite.

It uses the server binaries of Debian's ``postgresql`` package (``make test``
installs the package when they are missing) or those in
``$CRMCORE_PG_BINDIR``. The server lives in a temporary directory, listens
only on a Unix socket there (no TCP port), runs without fsync (a test
database need not survive a crash) and is stopped at the end of the session,
also when tests fail. As root, it runs as the ``postgres`` system user
(PostgreSQL refuses to run as root).

If the server cannot start, `PostgresServer.start` raises `ServerError` with
the server's log: the tests that need it fail loudly; they are never skipped.
"""

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

_PORT = 5432  # only names the socket file: the server has no TCP listener


class ServerError(RuntimeError):
    """The PostgreSQL server for the tests could not be found or started."""


def _bindir() -> Path:
    configured = os.environ.get("CRMCORE_PG_BINDIR")
    candidates = [configured] if configured else []
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise ServerError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: `make test` installs "
        "Debian's postgresql package when they are missing; or set CRMCORE_PG_BINDIR"
    )


class PostgresServer:
    """One throw-away PostgreSQL server."""

    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="crmcore-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._user: str | None = None
        self._schemas = itertools.count()
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                raise ServerError(
                    "running as root, and there is no 'postgres' user to run the server as"
                ) from None
            self._user = "postgres"
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.url = f"postgresql+psycopg://crm@/postgres?host={self.root}&port={_PORT}"

    def _run(self, *command: str) -> None:
        argv = [str(self.bindir / command[0]), *command[1:]]
        if self._user is not None:
            argv = ["runuser", "-u", self._user, "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise ServerError(
                f"{command[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log}"
            )

    def start(self) -> str:
        """Initialise and start the server; returns its SQLAlchemy URL."""
        self._run(
            "initdb", "-D", str(self.data), "-U", "crm", "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{self.root}' -p {_PORT} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off "
            "-c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")
        return self.url

    def stop(self) -> None:
        """Stop the server (immediately) and delete its directory."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def fresh_schema(self, engine: sa.Engine) -> str:
        """A new, empty schema in the server's database (one per test store)."""
        name = f"t{os.getpid()}_{next(self._schemas)}"
        with engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {name}")
        return name
