"""A real Celery worker, in its own process with a Redis broker, hears only of committed permits.

The worker is started on a queue of its own against the test database, with test settings except
that it sends mail to files in a temporary directory, where this test reads them. This test
process publishes to the broker for real (not eagerly) while it runs.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction

from apps.core.testing import InjectedFault
from apps.work_order_management.services import create_work_permit

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="the worker process must share the test database: set DATABASE_URL=postgres://...",
    ),
    pytest.mark.skipif(not settings.REDIS_URL, reason="the worker needs a Redis broker: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),
]

# The worker: test settings, but mail goes to files (argv[1]) and tasks are consumed from argv[2].
WORKER = """
import sys

import django
from django.conf import settings

settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
settings.EMAIL_FILE_PATH = sys.argv[1]
settings.CELERY_TASK_ALWAYS_EAGER = False
django.setup()

from config.celery_app import app

app.worker_main([
    "worker", "--pool", "solo", "--concurrency", "1", "--queues", sys.argv[2], "--hostname", sys.argv[2] + "@%h",
    "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
])
"""
READY_TIMEOUT = 60
MAIL_TIMEOUT = 30
QUIET_SECONDS = 3


def _database_url():
    """The URL of the database this test runs on (the test database, not the configured one)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def broker():
    """Publish for real to a fresh queue of the configured broker; yield (queue name, Redis client)."""
    import redis

    from config.celery_app import app

    queue = f"wom-test-{uuid.uuid4().hex[:12]}"
    saved = {name: app.conf[name] for name in ("task_always_eager", "task_default_queue")}
    app.conf.update(task_always_eager=False, task_default_queue=queue)
    client = redis.Redis.from_url(app.conf.broker_url)
    try:
        yield queue, client
    finally:
        app.conf.update(saved)
        client.delete(queue, f"_kombu.binding.{queue}")
        client.close()


class Worker:
    """``celery worker`` in a subprocess: started, waited for until ready, always stopped."""

    def __init__(self, queue, mail_dir, log_path):
        self.queue, self.mail_dir, self.log_path = queue, mail_dir, log_path
        self.process = None

    def __enter__(self):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        }
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", WORKER, str(self.mail_dir), self.queue],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def _wait_until_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(0.2)
        pytest.fail(f"the worker was not ready within {READY_TIMEOUT}s:\n{self.log()}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # warm shutdown: finish the current task, then exit
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _mails(mail_dir):
    return sorted(Path(mail_dir).glob("*.log"))


def _wait_for_mail(mail_dir, worker):
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        if _mails(mail_dir):
            return
        time.sleep(0.2)
    pytest.fail(f"no mail within {MAIL_TIMEOUT}s; worker log:\n{worker.log()}")


def test_worker_hears_of_a_committed_permit_and_finds_its_rows_and_nothing_of_a_rolled_back_one(
    broker, author, site_bt, permit_type, approvers, details, tmp_path
):
    queue, redis = broker
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()

    with pytest.raises(InjectedFault), transaction.atomic():
        create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
        raise InjectedFault("the caller fails after the permit was created")
    assert redis.llen(queue) == 0, "a rolled-back permit put a message on the queue"

    permit = create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    assert redis.llen(queue) == 1, "the committed permit's notification waits on the queue"

    with Worker(queue, mail_dir, tmp_path / "worker.log") as worker:
        _wait_for_mail(mail_dir, worker)
        time.sleep(QUIET_SECONDS)  # anything else on the queue would arrive now
        mails = [path.read_text() for path in _mails(mail_dir)]
        assert len(mails) == 1, mails
        assert redis.llen(queue) == 0
    assert f"Subject: Work permit {permit.permit_name} needs your verification" in mails[0]
    assert f"Checklist: {len(details)} answers." in mails[0]
    assert "To: victor@example.com" in mails[0]
