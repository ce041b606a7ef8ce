"""The development mailbox of `make run`: a local SMTP server (aiosmtpd) on 127.0.0.1 that keeps
every message it accepts in a Maildir (.data/mail), and a reader for it.

    python -m devstack.mailbox                 list the messages: date, to, subject
    python -m devstack.mailbox show N          message N of the list, decoded (headers and text)
    python -m devstack.mailbox serve --port P  the server itself (scripts/run.py starts it)

It accepts mail for any address and sends nothing on: a development stand-in for the district's
mail server, never for production.
"""

from __future__ import annotations

import argparse
import mailbox
import signal
import sys
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

DEFAULT_DIR = Path(__file__).resolve().parent.parent / ".data" / "mail"
DEFAULT_PORT = 8025


def start(directory: Path, port: int, host: str = "127.0.0.1") -> Controller:
    """The SMTP server, running in a thread of this process until `.stop()`."""
    directory.parent.mkdir(parents=True, exist_ok=True)  # the handler makes the Maildir itself
    controller = Controller(Mailbox(directory), hostname=host, port=port, enable_SMTPUTF8=True)
    controller.start()
    return controller


@dataclass(frozen=True)
class Mail:
    key: str
    date: str
    sender: str
    to: str
    subject: str
    message_id: str
    text: str


def read(directory: Path = DEFAULT_DIR) -> list[Mail]:
    """The messages of the mailbox, oldest first, their headers and text decoded."""
    if not (directory / "cur").exists():
        return []
    box = mailbox.Maildir(directory, create=False)
    out = []
    for key in box.keys():
        with box.get_file(key) as f:
            raw = f.read()
        msg = message_from_bytes(raw, policy=default)
        # the From line as a mail reader shows it (the stdlib's address parser would put a space
        # between two encoded words of a Chinese display name)
        sender = str(make_header(decode_header(message_from_bytes(raw)["From"] or "")))
        assert isinstance(msg, EmailMessage)
        body = msg.get_body(("plain",))
        out.append(
            Mail(
                key=key,
                date=str(msg["Date"] or ""),
                sender=sender,
                to=str(msg["To"] or ""),
                subject=str(msg["Subject"] or ""),
                message_id=str(msg["Message-ID"] or ""),
                text=body.get_content().replace("\r\n", "\n") if isinstance(body, EmailMessage) else "",
            )
        )
    return sorted(out, key=lambda m: (box.get_message(m.key).get_date(), m.key))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m devstack.mailbox", description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"the Maildir (default {DEFAULT_DIR})")
    sub = p.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the SMTP server until SIGTERM")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    show = sub.add_parser("show", help="one message, decoded")
    show.add_argument("n", type=int, help="its number in the list (1 = oldest)")
    args = p.parse_args(argv)
    if args.command == "serve":
        controller = start(args.dir, args.port)
        print(f"development mailbox: SMTP on 127.0.0.1:{args.port}, Maildir {args.dir}", flush=True)
        done = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: done.set())
        done.wait()
        controller.stop()
        return 0
    mails = read(args.dir)
    if args.command == "show":
        if not 1 <= args.n <= len(mails):
            print(f"no message {args.n}: the mailbox has {len(mails)}", file=sys.stderr)
            return 1
        m = mails[args.n - 1]
        print(
            f"Date: {m.date}\nFrom: {m.sender}\nTo: {m.to}\nSubject: {m.subject}\nMessage-ID: {m.message_id}\n"
        )
        print(m.text)
        return 0
    if not mails:
        print(f"the mailbox {args.dir} is empty")
    for i, m in enumerate(mails, 1):
        print(f"{i:4}  {m.date}  {m.to}  {m.subject}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
