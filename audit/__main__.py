"""`python -m audit verify` / `python -m audit export` (reads AWARD_DATABASE_URL, like the API).

    python -m audit verify                         # the chain in the database; exit 1 if broken
    python -m audit verify --anchor 1200:3f9a…     # …and still holding a head recorded earlier
    python -m audit verify --file audit-log.csv    # an export, off-line (no database needed)
    python -m audit export --format csv --output audit-log.csv

Exit status: 0 the chain holds, 1 it is broken (the first broken row is named), 2 it could not be
checked (no database configured, unreadable file, bad arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from .export import FORMATS, parse_csv, parse_jsonl
from .verify import Verification, verify_parsed


def _anchors(values: list[str]) -> dict[int, str]:
    from domain.audit_chain import parse_anchor

    return dict(parse_anchor(v) for v in values)


async def _verify_database(url: str, anchors: dict[int, str]) -> Verification:
    from db.session import make_engine, make_sessionmaker

    from .verify import verify_database

    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        async with make_sessionmaker(engine)() as s:
            return await verify_database(s, anchors)
    finally:
        await engine.dispose()


def _verify_file(path: Path, anchors: dict[int, str]) -> Verification:
    with path.open(encoding="utf-8-sig", newline="") as f:  # CR LF inside a CSV value is kept as is
        text = f.read()
    rows = parse_csv(text) if path.suffix.lower() == ".csv" else parse_jsonl(text)
    return verify_parsed(rows, anchors)


async def _export(url: str, fmt: str, out: Path | None) -> int:
    from db.audit_log import chain_rows
    from db.session import make_engine, make_sessionmaker

    from .export import stream

    engine = make_engine(url, pool_size=1, max_overflow=0)
    target = out.open("wb") if out else sys.stdout.buffer
    try:
        async with make_sessionmaker(engine)() as s:
            async for chunk in stream(chain_rows(s), fmt):
                target.write(chunk)
    finally:
        if out:
            target.close()
        else:
            target.flush()
        await engine.dispose()
    return 0


def _database_url() -> str:
    from config.settings import get_settings

    return get_settings().database_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit", description="Verify or export the audit chain.")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="check the hash chain; name the first broken row")
    v.add_argument("--file", type=Path, help="an export (.jsonl or .csv) instead of the database")
    v.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="SEQ:HASH",
        help="a head recorded earlier (printed by a previous verify); repeatable",
    )
    v.add_argument("--json", action="store_true", help="print the result as JSON")
    e = sub.add_parser("export", help="write the log with its chain")
    e.add_argument("--format", choices=sorted(FORMATS), default="jsonl")
    e.add_argument("--output", type=Path, help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    try:
        if args.command == "export":
            url = _database_url()
            if not url:
                print("AWARD_DATABASE_URL is not set", file=sys.stderr)
                return 2
            return asyncio.run(_export(url, args.format, args.output))
        anchors = _anchors(args.anchor)
        if args.file is not None:
            result = _verify_file(args.file, anchors)
        else:
            url = _database_url()
            if not url:
                print("AWARD_DATABASE_URL is not set (or give --file)", file=sys.stderr)
                return 2
            result = asyncio.run(_verify_database(url, anchors))
    except (OSError, ValueError, KeyError, SQLAlchemyError) as exc:
        print(f"cannot check the audit chain: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict(), ensure_ascii=False) if args.json else result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
