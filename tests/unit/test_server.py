"""serve's HTTP protocol turns Nagle's algorithm off even where asyncio does not."""

import asyncio
import socket

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from karakoram.entrypoints.http.server import NoDelayH11Protocol


class Transport:
    """Just what the protocol asks of an accepted connection."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name, default=None):
        return {
            "socket": self.sock,
            "peername": self.sock.getpeername(),
            "sockname": self.sock.getsockname(),
        }.get(name, default)


@pytest.fixture
def accepted():
    """A TCP connection accepted on a listening socket made as uvicorn's worker processes get
    theirs (proto 0): asyncio leaves Nagle's algorithm on for such connections."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with socket.create_connection(listener.getsockname()):
            conn, _ = listener.accept()
            with conn:
                yield conn


def nodelay_after(protocol_class, conn: socket.socket) -> int:
    config = Config(app=lambda scope, receive, send: None, log_level="warning")
    config.load()
    loop = asyncio.new_event_loop()
    try:
        protocol = protocol_class(config=config, server_state=ServerState(), app_state={},
                                  _loop=loop)  # fmt: skip
        protocol.connection_made(Transport(conn))
        return conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        loop.close()


def test_uvicorn_alone_leaves_nagle_on(accepted):
    assert nodelay_after(H11Protocol, accepted) == 0  # why NoDelayH11Protocol exists


def test_serve_turns_nagle_off(accepted):
    assert nodelay_after(NoDelayH11Protocol, accepted) != 0
