"""A TCP proxy in front of PostgreSQL that a test can make fail the ways a network does, and a gunicorn serving the
app through it, with fixtures for both (imported by the tests that use them).

The proxy forwards 127.0.0.1:<its port> to PostgreSQL. `refuse()` stops listening (a connection is refused at once,
as when the server is down); `black_hole()` accepts connections and never answers (a firewall dropping packets, a
server frozen); both first drop every connection already open, as a restart or a failover does. `restore()`
forwards again on the same port.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from tests.conftest import is_postgresql, require_service


class PgProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = "forward"
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()  # every socket of a forwarded or held connection
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._stopping = threading.Event()
        self.port = 0
        self._listen()

    # -- what a test calls ---------------------------------------------------------------------------------------

    def refuse(self) -> None:
        self.mode = "refuse"
        self._stop_listening()
        self._drop_all()

    def black_hole(self) -> None:
        self.mode = "black_hole"
        self._drop_all()
        if self._listener is None:
            self._listen()

    def restore(self) -> None:
        self.mode = "forward"
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        self._stop_listening()
        self._drop_all()

    # -- the machinery -------------------------------------------------------------------------------------------

    def _listen(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the same port again
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stopping.clear()
        self._accepting = threading.Thread(target=self._accept, args=(self._listener,), daemon=True)
        self._accepting.start()

    def _stop_listening(self) -> None:
        if self._listener is None:
            return
        self._stopping.set()
        self._accepting.join()
        self._listener.close()
        self._listener = None

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            client.settimeout(None)
            self._keep(client)
            if self.mode == "forward":
                try:
                    server = socket.create_connection(self.upstream, timeout=5)
                except OSError:
                    self._drop(client)
                    continue
                server.settimeout(None)
                self._keep(server)
                for source, sink in ((client, server), (server, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()
            # black_hole: the connection is kept open and nothing is ever read or sent

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._drop(source)
        self._drop(sink)

    def _keep(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _drop(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        with contextlib.suppress(OSError):  # already closed at the other end
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _drop_all(self) -> None:
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            self._drop(sock)


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(*, port: int | None = None) -> str:
    """The test database's URL, through `port` (the proxy's) when given."""
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}/"
        f"{db['NAME']}"
    )


class Gunicorn:
    """The app under gunicorn as production runs it (threads in a worker process; one process here), its log in a
    file."""

    def __init__(self, *, database_url: str, log: Path, **env: str) -> None:
        self.port = _spare_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        # The default connect timeout, whatever the caller's environment (.env) says: the 503 must come within 5 s.
        environment = (
            os.environ
            | {"DATABASE_URL": database_url, "LOG_FORMAT": "json", "DJANGO_DEBUG": "0", "DB_CONNECT_TIMEOUT": "3"}
            | env
        )
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "earlyhelp.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                "--workers=1",
                "--threads=2",
                "--timeout=60",
            ],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_answering(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, f"gunicorn stopped: {self.log.read_text()}"
            try:
                if requests.get(f"{self.url}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or its first request still loading the app
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer within 60 s: {self.log.read_text()}"
            time.sleep(0.2)

    def worker_pids(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return {int(pid) for pid in children.split()}

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log_file.close()


@pytest.fixture
def pg_proxy(transactional_db):
    """A proxy to the test database; committed data (transactional_db) is what another process sees."""
    require_service(is_postgresql(), "the database fault tests need PostgreSQL (set DATABASE_URL)")
    db = connection.settings_dict
    proxy = PgProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def gunicorn_factory(transactional_db, tmp_path):
    """Starts the app under gunicorn with the given database URL and environment; stops each one afterwards."""
    require_service(is_postgresql(), "the database fault tests need PostgreSQL (set DATABASE_URL)")
    started: list[Gunicorn] = []

    def start(*, database_url: str, **env: str) -> Gunicorn:
        server = Gunicorn(database_url=database_url, log=tmp_path / f"gunicorn-{len(started)}.log", **env)
        started.append(server)  # stopped afterwards, even if it never answers
        server.wait_until_answering()
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
