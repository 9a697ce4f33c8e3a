"""How `serve` runs the app under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    """HTTP/1.1 with Nagle's algorithm off on every connection.

    asyncio turns Nagle off only for sockets that say they are TCP; the sockets uvicorn hands to
    its worker processes (`serve --workers N`) do not, and each response, written in two parts,
    then waits for the client's delayed acknowledgement: some 40 ms per request on Linux.
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all: nothing to do
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]
