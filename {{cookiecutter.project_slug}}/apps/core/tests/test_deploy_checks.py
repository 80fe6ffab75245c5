"""`check --deploy` keeps production off SQLite and the in-process lock backend."""

import pytest
from django.core.checks import run_checks
from django.test import override_settings

SQLITE = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3", "ATOMIC_REQUESTS": False}}
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")

POSTGRES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "x", "ATOMIC_REQUESTS": False}}


def deploy_error_ids():
    return {message.id for message in run_checks(include_deployment_checks=True) if message.id.startswith("core.")}


def test_sqlite_and_in_process_locks_are_refused_for_deployment():
    with override_settings(DATABASES=SQLITE, DISTRIBUTED_LOCK_BACKEND="inprocess"):
        assert deploy_error_ids() == {"core.E001", "core.E003"}


def test_postgres_with_redis_locks_passes():
    with override_settings(DATABASES=POSTGRES, DISTRIBUTED_LOCK_BACKEND="redis", REDIS_URL="redis://127.0.0.1:6379/0"):
        assert deploy_error_ids() == set()


def test_atomic_requests_is_refused_for_deployment():
    databases = {"default": {**POSTGRES["default"], "ATOMIC_REQUESTS": True}}
    with override_settings(DATABASES=databases, DISTRIBUTED_LOCK_BACKEND="postgres"):
        assert deploy_error_ids() == {"core.E002"}


def test_redis_locks_without_redis_url_are_refused():
    with override_settings(DATABASES=POSTGRES, DISTRIBUTED_LOCK_BACKEND="redis", REDIS_URL=""):
        assert deploy_error_ids() == {"core.E004"}
