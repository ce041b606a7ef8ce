"""`make run`: the whole system on this machine.

Embedded PostgreSQL (unless AWARD_DATABASE_URL is set), the Temporal dev server with its Web UI
(unless AWARD_TEMPORAL_ADDRESS is set), migrations, the worker and the API. State lives in `.data/`
and survives restarts. Ctrl-C or SIGTERM stops everything, in reverse order, and leaves nothing running.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from config.codec import dev_key_file  # noqa: E402
from config.settings import DEV_ADMIN, DEV_OFFICE  # noqa: E402
from devstack.ports import port_accepts, port_is_free  # noqa: E402
from devstack.postgres import EmbeddedPostgres  # noqa: E402
from devstack.temporal import TemporalDevServer, ensure_search_attributes  # noqa: E402

DATA = ROOT / ".data"
LOGS = DATA / "logs"
PID_FILE = DATA / "run.pids"  # children of a run killed with SIGKILL, stopped by the next run
STOP_GRACE = 15.0


class Shutdown(BaseException):
    """SIGINT/SIGTERM, raised in the main thread wherever it is (start-up included)."""


class StartupError(Exception):
    pass


_stopping = False


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _stopping
    if not _stopping:  # later signals are ignored while we shut down
        _stopping = True
        raise Shutdown(signal.Signals(signum).name)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


def env_port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise StartupError(f"{name}={raw!r} is not a port number") from None


def require_free(port: int, var: str) -> None:
    if not port_is_free(port):
        raise StartupError(f"port {port} on 127.0.0.1 is already in use: set {var} to a free port and retry")


def jwt_secret() -> str:
    if secret := os.environ.get("AWARD_JWT_SECRET", "").strip():
        return secret
    path = DATA / "jwt_secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def payload_keys_env() -> dict[str, str]:
    """The Temporal payload keys (config/codec.py): AWARD_PAYLOAD_KEYS(_FILE) when set, else the
    development key file under .data, made once (mode 0600) like the JWT secret."""
    if os.environ.get("AWARD_PAYLOAD_KEYS", "").strip() or os.environ.get("AWARD_PAYLOAD_KEYS_FILE", "").strip():
        return {}
    return {"AWARD_PAYLOAD_KEYS_FILE": str(dev_key_file(DATA / "payload_keys"))}


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def remember(pids: dict[str, int]) -> None:
    entries = [{"name": n, "pid": p, "created": psutil.Process(p).create_time()} for n, p in pids.items()]
    PID_FILE.write_text(json.dumps(entries))


def stop_orphans() -> None:
    """Stop the process groups a previous, SIGKILLed run left behind (pid and start time must match)."""
    if not PID_FILE.exists():
        return
    for entry in json.loads(PID_FILE.read_text() or "[]"):
        try:
            process = psutil.Process(entry["pid"])
            if abs(process.create_time() - entry["created"]) > 0.01:
                continue
        except psutil.Error:
            continue
        print(f"stopping {entry['name']} (pid {entry['pid']}) left over from a previous run")
        kill_group(entry["pid"], signal.SIGTERM)
        try:
            process.wait(STOP_GRACE)
        except psutil.TimeoutExpired:
            kill_group(entry["pid"], signal.SIGKILL)
            process.wait(5)
    PID_FILE.unlink()


def kill_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def spawn(children: list[Child], name: str, args: list[str], env: dict[str, str]) -> None:
    log = LOGS / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    children.append(Child(name, process, log))


def stop_child(child: Child) -> None:
    if child.process.poll() is None:
        print(f"stopping {child.name}…")
        kill_group(child.process.pid, signal.SIGTERM)
        try:
            child.process.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            print(f"{child.name} did not stop within {STOP_GRACE:.0f}s, killing it")
    kill_group(child.process.pid, signal.SIGKILL)  # the leader if still alive and anything it left behind
    child.process.wait()


def died(children: list[Child]) -> Child | None:
    return next((c for c in children if c.process.poll() is not None), None)


def report_death(child: Child) -> None:
    print(f"\n{child.name} exited unexpectedly (code {child.process.returncode}); log {child.log}:")
    print(tail(child.log))


def main() -> int:
    global _stopping
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    LOGS.mkdir(parents=True, exist_ok=True)
    pg: EmbeddedPostgres | None = None
    temporal: TemporalDevServer | None = None
    children: list[Child] = []
    code = 1
    try:
        stop_orphans()
        database_url = os.environ.get("AWARD_DATABASE_URL", "").strip()
        address = os.environ.get("AWARD_TEMPORAL_ADDRESS", "").strip()
        namespace = os.environ.get("AWARD_TEMPORAL_NAMESPACE", "").strip() or "default"
        api_port = env_port("AWARD_API_PORT", 8000)
        require_free(api_port, "AWARD_API_PORT")

        if not database_url:
            pg = EmbeddedPostgres(
                DATA / "pg", env_port("AWARD_PG_PORT", 55432), log_file=LOGS / "postgres.log"
            )
            if pg.running:
                print("stopping PostgreSQL left over from a previous run")
                pg.stop()
            require_free(pg.port, "AWARD_PG_PORT")
        if not address:
            ui_port = env_port("AWARD_TEMPORAL_UI_PORT", 8233)
            # The UI decrypts payloads through the API's codec server (api/routes/codec.py); its
            # origin is the one the codec server admits (CORS).
            ui_origin = f"http://127.0.0.1:{ui_port}"
            cors = os.environ.get("AWARD_CODEC_CORS_ORIGINS", "").strip()
            os.environ["AWARD_CODEC_CORS_ORIGINS"] = ",".join(
                o for o in (cors, ui_origin, f"http://localhost:{ui_port}") if o
            )
            from config.constants import SEARCH_ATTRIBUTES

            temporal = TemporalDevServer(
                DATA / "temporal.db",
                env_port("AWARD_TEMPORAL_PORT", 7233),
                ui_port,
                namespace,
                SEARCH_ATTRIBUTES,
                log_file=LOGS / "temporal.log",
                codec_endpoint=f"http://127.0.0.1:{api_port}/codec",
            )
            require_free(temporal.port, "AWARD_TEMPORAL_PORT")
            require_free(ui_port, "AWARD_TEMPORAL_UI_PORT")

        print(f"logs: {LOGS}/{{postgres,temporal,migrate,admin,worker,api}}.log")
        if pg is not None:
            print(f"starting PostgreSQL on 127.0.0.1:{pg.port} (data {pg.data_dir})…")
            pg.start()
            database_url = pg.url
        if temporal is not None:
            print(f"starting Temporal dev server on {temporal.address} (state {temporal.db_file})…")
            temporal.start()
            assert temporal.pid is not None
            remember({"temporal": temporal.pid})
            address = temporal.address
        else:
            print(f"registering search attributes on {address} ({namespace})…")
            ensure_search_attributes(address, namespace)

        office_user = os.environ.get("AWARD_BOOTSTRAP_OFFICE_USERNAME") or DEV_OFFICE[0]
        office_password = os.environ.get("AWARD_BOOTSTRAP_OFFICE_PASSWORD") or DEV_OFFICE[1]
        # `make demo` signs in some 30 accounts from this one address within seconds
        sign_in_limit = os.environ.get("AWARD_RATE_LIMIT_SIGN_IN_PER_IP") or "600/minute"
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "AWARD_DATABASE_URL": database_url,
            "AWARD_TEMPORAL_ADDRESS": address,
            "AWARD_TEMPORAL_NAMESPACE": namespace,
            "AWARD_JWT_SECRET": jwt_secret(),
            "AWARD_BOOTSTRAP_OFFICE_USERNAME": office_user,
            "AWARD_BOOTSTRAP_OFFICE_PASSWORD": office_password,
            "AWARD_RATE_LIMIT_SIGN_IN_PER_IP": sign_in_limit,
            **payload_keys_env(),
        }

        print("applying migrations…")
        with open(LOGS / "migrate.log", "wb") as out:
            migrate = subprocess.run(
                [sys.executable, "-m", "db.migrate"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                timeout=300,
                check=False,
            )
        if migrate.returncode != 0:
            log = LOGS / "migrate.log"
            raise StartupError(f"migrations failed (exit {migrate.returncode}); {log}:\n{tail(log)}")

        # The administrator, as at install: by the CLI, never through the API (it exists after the
        # first run; the CLI then changes nothing).
        admin_user = os.environ.get("AWARD_DEV_ADMIN_USERNAME") or DEV_ADMIN[0]
        admin_password = os.environ.get("AWARD_DEV_ADMIN_PASSWORD") or DEV_ADMIN[1]
        with open(LOGS / "admin.log", "ab") as out:
            created = subprocess.run(
                [sys.executable, "-m", "api.cli", "create-user", "--role", "admin", "--username", admin_user],
                cwd=ROOT,
                env={**env, "AWARD_NEW_PASSWORD": admin_password},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                timeout=120,
                check=False,
            )
        if created.returncode != 0:
            log = LOGS / "admin.log"
            raise StartupError(
                f"creating the administrator failed (exit {created.returncode}); {log}:\n{tail(log)}"
            )

        spawn(children, "worker", [sys.executable, "-m", "worker"], env)
        # the API decides whom to believe for X-Forwarded-For (AWARD_TRUSTED_PROXIES), not uvicorn
        uvicorn = [
            "uvicorn",
            "api.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(api_port),
            "--no-proxy-headers",
        ]
        spawn(children, "api", [sys.executable, "-m", *uvicorn], env)
        pids = {c.name: c.process.pid for c in reversed(children)}  # in stopping order
        if temporal is not None and temporal.pid is not None:
            pids["temporal"] = temporal.pid
        remember(pids)
        deadline = time.monotonic() + 60
        while not port_accepts(api_port):
            if (dead := died(children)) is not None:
                report_death(dead)
                return 1
            if time.monotonic() > deadline:
                raise StartupError(f"the API did not open port {api_port} within 60s; see {LOGS / 'api.log'}")
            time.sleep(0.2)

        ui = temporal.ui_url if temporal is not None else f"(external Temporal at {address})"
        print(
            "\n"
            "  Lucheng Quality Award — local stack is running\n"
            f"    API docs      http://127.0.0.1:{api_port}/docs\n"
            f"    Temporal UI   {ui}   namespace {namespace}\n"
            f"                  payloads are encrypted; to read them there, sign in as the office and\n"
            f"                  POST /codec/session from http://127.0.0.1:{api_port}/docs (README: Security)\n"
            f"    Office login  {office_user} / {office_password}"
            "   (dev default; AWARD_BOOTSTRAP_OFFICE_USERNAME / _PASSWORD)\n"
            f"    Admin login   {admin_user} / {admin_password}"
            "   (dev default, made with python -m api.cli; AWARD_DEV_ADMIN_USERNAME / _PASSWORD)\n"
            f"    Data          {DATA}   (make clean-data wipes it)\n"
            f"    Logs          {LOGS}\n"
            f"  Stop with Ctrl-C (or kill -TERM {os.getpid()}).\n",
            flush=True,
        )
        while (dead := died(children)) is None:
            time.sleep(0.5)
        report_death(dead)
        return 1
    except Shutdown as reason:
        print(f"\n{reason} received, shutting down…")
        code = 0
    except (StartupError, RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except Exception:
        traceback.print_exc()
    finally:
        _stopping = True
        for child in reversed(children):  # API, then worker
            stop_child(child)
        if temporal is not None:
            if temporal.pid is not None:
                print("stopping Temporal…")
            temporal.stop()
        if pg is not None:
            if pg.running:
                print("stopping PostgreSQL…")
            pg.stop()
        PID_FILE.unlink(missing_ok=True)
        print("stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
