"""`make run`: the whole system on this machine.

Embedded PostgreSQL (unless AWARD_DATABASE_URL is set), the Temporal dev server with its Web UI
(unless AWARD_TEMPORAL_ADDRESS is set), a development mailbox that receives the notices' e-mails
(unless AWARD_SMTP_HOST is set; read it with `python -m devstack.mailbox`), migrations, the worker
and the API. State lives in `.data/`
and survives restarts. Ctrl-C or SIGTERM stops everything, in reverse order, and leaves nothing running.

Once the stack is up, a worker or an API that exits is restarted with a back-off and a log line
(devstack/supervisor.py, P7); only during start-up does a child that dies stop the run (a
configuration error is better told at once than retried forever).
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
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from config.codec import dev_key_file  # noqa: E402
from config.settings import DEV_ADMIN, DEV_OFFICE  # noqa: E402
from devstack.mailbox import DEFAULT_PORT as MAIL_PORT  # noqa: E402
from devstack.ports import port_accepts, port_is_free  # noqa: E402
from devstack.postgres import EmbeddedPostgres  # noqa: E402
from devstack.supervisor import STOP_GRACE, Child, Program, Supervisor, kill_group, tail  # noqa: E402
from devstack.temporal import TemporalDevServer, ensure_search_attributes  # noqa: E402

DATA = ROOT / ".data"
LOGS = DATA / "logs"
MAIL = DATA / "mail"  # the development mailbox (Maildir)
# the development mailbox's addresses (.test: reserved, never routed)
DEV_MAIL = {
    "AWARD_SMTP_SENDER": "award-office@lucheng.test",
    "AWARD_SMTP_OFFICE_MAILBOX": "office@lucheng.test",
}
PID_FILE = DATA / "run.pids"  # children of a run killed with SIGKILL, stopped by the next run


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


def env_port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise StartupError(f"{name}={raw!r} is not a port number") from None


def require_free(port: int, var: str) -> None:
    if not port_is_free(port):
        raise StartupError(f"port {port} on 127.0.0.1 is already in use: set {var} to a free port and retry")


def generated_secret(variable: str, name: str) -> str:
    """`variable` from the environment, else a random secret generated once into .data/`name`."""
    if secret := os.environ.get(variable, "").strip():
        return secret
    path = DATA / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def jwt_secret() -> str:
    return generated_secret("AWARD_JWT_SECRET", "jwt_secret")


def payload_keys_env() -> dict[str, str]:
    """The Temporal payload keys (config/codec.py): AWARD_PAYLOAD_KEYS(_FILE) when set, else the
    development key file under .data, made once (mode 0600) like the JWT secret."""
    if (
        os.environ.get("AWARD_PAYLOAD_KEYS", "").strip()
        or os.environ.get("AWARD_PAYLOAD_KEYS_FILE", "").strip()
    ):
        return {}
    return {"AWARD_PAYLOAD_KEYS_FILE": str(dev_key_file(DATA / "payload_keys"))}


def remember(pids: dict[str, int]) -> None:
    entries = []
    for name, pid in pids.items():
        try:
            entries.append({"name": name, "pid": pid, "created": psutil.Process(pid).create_time()})
        except psutil.Error:  # exited meanwhile: the supervisor will notice
            continue
    PID_FILE.write_text(json.dumps(entries))


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}")


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


def report_death(child: Child) -> None:
    code = child.process.returncode if child.process is not None else "?"
    print(f"\n{child.name} exited during start-up (code {code}); log {child.program.log}:")
    print(tail(child.program.log))


def run_step(
    module_args: list[str], log_name: str, mode: str, env: dict[str, str], timeout: int, what: str
) -> None:
    """Run `python -m <module_args>` to its end, its output into logs/<log_name> (written anew or
    appended, `mode`); a failure stops the start-up with the log's tail."""
    log = LOGS / log_name
    with open(log, mode) as out:
        done = subprocess.run(
            [sys.executable, "-m", *module_args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0:
        raise StartupError(f"{what} failed (exit {done.returncode}); {log}:\n{tail(log)}")


def main() -> int:
    global _stopping
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    LOGS.mkdir(parents=True, exist_ok=True)
    pg: EmbeddedPostgres | None = None
    temporal: TemporalDevServer | None = None
    supervisor = Supervisor(say=say)
    code = 1
    try:
        stop_orphans()
        database_url = os.environ.get("AWARD_DATABASE_URL", "").strip()
        address = os.environ.get("AWARD_TEMPORAL_ADDRESS", "").strip()
        namespace = os.environ.get("AWARD_TEMPORAL_NAMESPACE", "").strip() or "default"
        api_port = env_port("AWARD_API_PORT", 8000)
        api_metrics_port = env_port("AWARD_API_METRICS_PORT", 9464)
        worker_metrics_port = env_port("AWARD_WORKER_METRICS_PORT", 9465)
        require_free(api_port, "AWARD_API_PORT")
        require_free(api_metrics_port, "AWARD_API_METRICS_PORT")
        require_free(worker_metrics_port, "AWARD_WORKER_METRICS_PORT")
        smtp_host = os.environ.get("AWARD_SMTP_HOST", "").strip()
        mail_port = env_port("AWARD_SMTP_PORT", MAIL_PORT)
        if not smtp_host:
            require_free(mail_port, "AWARD_SMTP_PORT")

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

        print(f"logs: {LOGS}/{{postgres,temporal,migrate,admin,mailbox,worker,api}}.log")
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
        if not smtp_host:  # the notices' e-mails go to the development mailbox
            env.update(
                {
                    **{k: os.environ.get(k, "").strip() or v for k, v in DEV_MAIL.items()},
                    "AWARD_SMTP_HOST": "127.0.0.1",
                    "AWARD_SMTP_PORT": str(mail_port),
                    "AWARD_SMTP_TLS": "none",
                }
            )

        print("applying migrations…")
        run_step(["db.migrate"], "migrate.log", "wb", env, 300, "migrations")

        # The administrator, as at install: by the CLI, never through the API (it exists after the
        # first run; the CLI then changes nothing).
        admin_user = os.environ.get("AWARD_DEV_ADMIN_USERNAME") or DEV_ADMIN[0]
        admin_password = os.environ.get("AWARD_DEV_ADMIN_PASSWORD") or DEV_ADMIN[1]
        run_step(
            ["api.cli", "create-user", "--role", "admin", "--username", admin_user],
            "admin.log",
            "ab",
            {**env, "AWARD_NEW_PASSWORD": admin_password},
            120,
            "creating the administrator",
        )

        # The ballot secret goes to the worker only (R14.6): the API seals ballots with a meeting's
        # public key and never needs it. (In production it does not live beside the database.)
        worker_env = {
            **env,
            "AWARD_BALLOT_SECRET": generated_secret("AWARD_BALLOT_SECRET", "ballot_secret"),
            "AWARD_WORKER_METRICS_PORT": str(worker_metrics_port),
        }
        env["AWARD_API_METRICS_PORT"] = str(api_metrics_port)
        env.pop("AWARD_BALLOT_SECRET", None)
        if not smtp_host:
            mailbox = [
                sys.executable,
                "-m",
                "devstack.mailbox",
                "--dir",
                str(MAIL),
                "serve",
                "--port",
                str(mail_port),
            ]
            supervisor.start(Program("mailbox", mailbox, env, LOGS / "mailbox.log", ROOT))
        supervisor.start(
            Program("worker", [sys.executable, "-m", "worker"], worker_env, LOGS / "worker.log", ROOT)
        )
        # the API decides whom to believe for X-Forwarded-For (AWARD_TRUSTED_PROXIES), not uvicorn
        uvicorn = [
            "uvicorn",
            "api.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(api_port),
            "--no-proxy-headers",
            "--no-access-log",  # the API writes its own access line (JSON, with the request id)
        ]
        supervisor.start(Program("api", [sys.executable, "-m", *uvicorn], env, LOGS / "api.log", ROOT))
        extra = {"temporal": temporal.pid} if temporal is not None and temporal.pid is not None else {}
        pids = {**supervisor.pids(), **extra}  # in stopping order
        remember(pids)
        deadline = time.monotonic() + 60
        while not port_accepts(api_port):
            if (dead := supervisor.died()) is not None:
                report_death(dead)
                return 1
            if time.monotonic() > deadline:
                raise StartupError(f"the API did not open port {api_port} within 60s; see {LOGS / 'api.log'}")
            time.sleep(0.2)

        ui = temporal.ui_url if temporal is not None else f"(external Temporal at {address})"
        mail = (
            f"SMTP 127.0.0.1:{mail_port} → {MAIL}; read it: .venv/bin/python -m devstack.mailbox [show N]"
            if not smtp_host
            else f"sent through {smtp_host} (AWARD_SMTP_HOST)"
        )
        print(
            "\n"
            "  Lucheng Quality Award — local stack is running\n"
            f"    API docs      http://127.0.0.1:{api_port}/docs\n"
            f"    Public portal http://127.0.0.1:{api_port}/portal/\n"
            f"    Temporal UI   {ui}   namespace {namespace}\n"
            f"                  payloads are encrypted; to read them there, sign in as the office and\n"
            f"                  POST /codec/session from http://127.0.0.1:{api_port}/docs (README: Security)\n"
            f"    Office login  {office_user} / {office_password}"
            "   (dev default; AWARD_BOOTSTRAP_OFFICE_USERNAME / _PASSWORD)\n"
            f"    Admin login   {admin_user} / {admin_password}"
            "   (dev default, made with python -m api.cli; AWARD_DEV_ADMIN_USERNAME / _PASSWORD)\n"
            f"    Data          {DATA}   (make clean-data wipes it)\n"
            f"    Logs          {LOGS}   (JSON lines with request_id; AWARD_LOG_FORMAT=plain for text)\n"
            f"    Metrics       http://127.0.0.1:{api_metrics_port}/metrics (API)   "
            f"http://127.0.0.1:{worker_metrics_port}/metrics (worker)\n"
            f"    Notice mail   {mail}\n"
            f"  Stop with Ctrl-C (or kill -TERM {os.getpid()}).\n",
            flush=True,
        )
        while True:  # supervise: a child that exits is started again after a back-off
            supervisor.poll()
            if (now := {**supervisor.pids(), **extra}) != pids:
                pids = now
                remember(pids)
            time.sleep(0.5)
    except Shutdown as reason:
        print(f"\n{reason} received, shutting down…")
        code = 0
    except (StartupError, RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except Exception:
        traceback.print_exc()
    finally:
        _stopping = True
        supervisor.stop()  # API, then worker
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
