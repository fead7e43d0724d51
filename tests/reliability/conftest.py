"""Processes the queue-fault tests start and stop themselves: a Redis server of their own on a spare port (so it can
be stopped without touching the machine's Redis), and Celery workers on a queue of their own, reading the PostgreSQL
test database and the test's private media folder. Every process started here is stopped when the test ends."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from earlyhelp.celery import app as celery_app
from tests.conftest import is_postgresql, require_service

# A worker started through this, so a test can shorten the broker's visibility timeout (how long Redis waits before
# it gives a message taken by a worker that never acknowledged it to another worker). Settings have no variable for
# it: production keeps the default.
_WORKER_MAIN = """
import sys
from earlyhelp.celery import app
visibility = float(sys.argv[1])
if visibility:
    options = dict(app.conf.CELERY_BROKER_TRANSPORT_OPTIONS or {})
    app.conf.CELERY_BROKER_TRANSPORT_OPTIONS = {**options, "visibility_timeout": visibility}
app.worker_main(["worker", *sys.argv[2:]])
"""


def spare_port() -> int:
    """A local TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(done, what: str, *, timeout: float = 60, processes=()) -> None:
    """Poll until `done()` is true; fail if `timeout` seconds pass or one of `processes` dies, with its output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        for process in processes:
            assert process.poll() is None, f"{process.args[-1]} died: {process.output()}"
        time.sleep(0.2)
    pytest.fail(f"did not {what} within {timeout:.0f} seconds")


def sessions_waiting_on_locks(count: int, threads=(), *, timeout: float = 60) -> None:
    """Wait until `count` other sessions of this database are blocked on a lock (a condition, not a time); fail if
    one of `threads` ends first or `timeout` seconds pass, rather than hang."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0] >= count:
                return
            assert all(thread.is_alive() for thread in threads), "a session ended before it was blocked"
            time.sleep(0.05)
    pytest.fail(f"{count} sessions were not blocked on a lock within {timeout:.0f} seconds")


def _stop(process: subprocess.Popen) -> None:
    """Stop a process the test started, and everything it started (a worker's pool processes)."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # what is left of its group, the parent included
    process.wait(timeout=15)


@dataclass
class RedisServer:
    """A redis-server of the test's own: no snapshots, no append-only file, nothing kept between starts."""

    port: int
    directory: str
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while not self.answers():
            assert self.process.poll() is None, "redis-server exited at start"
            assert time.monotonic() < deadline, "redis-server did not answer within 15 seconds"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
        assert not self.answers()


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server on a spare port, running; the test may stop and start it again. Stopped at the end."""
    import shutil

    require_service(shutil.which("redis-server") is not None, "redis-server is not installed")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(port=spare_port(), directory=str(directory))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _reset_broker_connections() -> None:
    """Forget pooled broker connections, so the next publish connects to the broker the settings now name."""
    celery_app.amqp._producer_pool = None
    celery_app._pool = None


@contextmanager
def _publishing_to(broker_url: str, queue: str):
    conf = celery_app.conf
    saved = (conf.CELERY_BROKER_URL, conf.CELERY_TASK_ALWAYS_EAGER, conf.get("CELERY_TASK_DEFAULT_QUEUE", "celery"))
    conf.CELERY_BROKER_URL, conf.CELERY_TASK_ALWAYS_EAGER, conf.CELERY_TASK_DEFAULT_QUEUE = broker_url, False, queue
    _reset_broker_connections()
    try:
        yield
    finally:
        conf.CELERY_BROKER_URL, conf.CELERY_TASK_ALWAYS_EAGER, conf.CELERY_TASK_DEFAULT_QUEUE = saved
        _reset_broker_connections()


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker(subprocess.Popen):
    log_path = None

    def output(self) -> str:
        """What the worker has logged so far (written to a file: a full pipe would stop the worker)."""
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def pool_children(self) -> list[int]:
        """The process ids of the prefork pool's processes (the ones that run tasks)."""
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as handle:
                return [int(pid) for pid in handle.read().split()]
        except FileNotFoundError:
            return []


@dataclass
class Queue:
    """One test's queue: every task the test publishes goes there, on `broker_url`; workers take from it."""

    broker_url: str
    name: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}")
    workers: list = field(default_factory=list)

    def worker(self, *, pool: str = "solo", visibility_timeout: float = 0) -> Worker:
        """Start a worker on this queue: `pool="prefork"` runs one pool process under a parent (so the pool process
        can be killed as the out-of-memory killer would), "solo" runs tasks in the worker process itself."""
        env = os.environ | {
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "REDIS_URL": self.broker_url,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
        args = [sys.executable, "-c", _WORKER_MAIN, str(visibility_timeout), f"--pool={pool}", "-Q", self.name]
        if pool == "prefork":
            args.append("--concurrency=1")
        name = f"-n{uuid.uuid4().hex[:8]}@{self.name}"  # two workers on one queue need two names
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO", name]
        log_path = Path(settings.MEDIA_ROOT).parent / f"worker-{uuid.uuid4().hex[:8]}.log"
        with open(log_path, "wb") as log:
            process = Worker(
                args, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        process.log_path = log_path
        self.workers.append(process)
        return process

    def kill(self, pid: int) -> None:
        """SIGKILL: no clean-up, no acknowledgement, the database connection dropped by the kernel."""
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def queue_on():
    """`queue_on(broker_url)`: publish this test's tasks to a queue of its own on that broker (not run in-process),
    and start workers for it. Workers are stopped and publishing put back afterwards."""
    require_service(is_postgresql(), "a worker shares the test database only on PostgreSQL (set DATABASE_URL)")
    queues: list[Queue] = []
    publishing: list = []

    def make(broker_url: str) -> Queue:
        queue = Queue(broker_url=broker_url)
        publishing.append(_publishing_to(broker_url, queue.name))
        publishing[-1].__enter__()
        queues.append(queue)
        return queue

    try:
        yield make
    finally:
        for queue in queues:
            for process in queue.workers:
                _stop(process)
        for context in reversed(publishing):
            context.__exit__(None, None, None)


def shared_redis_url() -> str:
    """The machine's Redis (REDIS_URL), where it answers; skipped (failed under REQUIRE_SERVICES) where not."""
    url = settings.CELERY_BROKER_URL
    try:
        answers = bool(url) and redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        answers = False
    require_service(answers, "Redis is not reachable (set REDIS_URL)")
    return url
