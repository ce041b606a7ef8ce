"""A TCP proxy in front of PostgreSQL that loses a connection at the worst moment (P7 fault tests).

`cut_next_commit()`: the next COMMIT a client sends reaches the server and is carried out, and the
server's answer is thrown away while both connections are cut, so the client cannot know whether
its transaction is stored. `go_down_after_next_commit()`: the next COMMIT is answered, then every
connection is lost. `hang()`: open connections are cut, new ones are accepted and never
answered (an address that swallows packets)."""

from __future__ import annotations

import asyncio
import contextlib
import re

# A simple-protocol Query message carrying COMMIT, as asyncpg sends it at the end of a transaction.
_COMMIT = re.compile(rb"Q\x00\x00\x00\x0cCOMMIT;\x00")


class PgProxy:
    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (host, target_port)
        self.port = 0
        self.commits_cut = 0
        self._armed = False
        self._hanging = False
        self._down_after_commit = False
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, self.target[0], 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def cut_next_commit(self) -> None:
        self._armed = True

    def go_down_after_next_commit(self) -> None:
        """Let the next COMMIT and its answer through, then `hang()`: the database is lost just after
        a request has committed one of its transactions."""
        self._down_after_commit = True

    def hang(self) -> None:
        """Cut every open connection and accept new ones without ever answering."""
        self._hanging = True
        for w in list(self._writers):
            w.transport.abort()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for w in list(self._writers):
            w.transport.abort()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self._writers.add(client_w)
        if self._hanging:
            return  # keep the socket open, never answer
        server_r, server_w = await asyncio.open_connection(*self.target)
        self._writers.add(server_w)
        state = {"swallow": False, "down": False}
        for pump in (self._upstream(client_r, server_w, state), self._downstream(server_r, client_w, state)):
            task = asyncio.ensure_future(pump)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _upstream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: dict[str, bool]
    ) -> None:
        try:
            while data := await reader.read(65536):
                if self._armed and _COMMIT.search(data):
                    self._armed = False
                    state["swallow"] = True  # the server commits; its answer never arrives
                elif self._down_after_commit and _COMMIT.search(data):
                    self._down_after_commit = False
                    state["down"] = True  # the answer gets through, then everything is cut
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _downstream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: dict[str, bool]
    ) -> None:
        try:
            while data := await reader.read(65536):
                if state["swallow"]:
                    self.commits_cut += 1
                    writer.transport.abort()
                    return
                writer.write(data)
                await writer.drain()
                if state.get("down"):
                    self.hang()
                    return
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
