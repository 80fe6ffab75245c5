"""Settings of the gunicorn that ``manage.py load_test`` starts: the test settings, served on loopback.

The command sets ``DJANGO_SETTINGS_MODULE`` to this module for the server only. Its URLs add the
bare endpoints the load test compares the API with (``apps.benchmarks.urls``). Connections are
kept between requests, as in production. The write guard raises, so an unprotected write would
show up as a 5xx; notifications run in-process after commit (eager Celery) and their mail goes
nowhere. ``LOAD_TEST_DATABASE_NAME`` points the server at the database the command checks
afterwards (under pytest: the test database).
"""

from .test import *  # noqa: F403
from .test import env

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "apps.benchmarks.urls"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
LOGGING["root"]["level"] = "ERROR"  # noqa: F405

_database_name = env("LOAD_TEST_DATABASE_NAME", default="")
for _alias in ("default", "monitoring"):
    DATABASES[_alias]["CONN_MAX_AGE"] = 60  # noqa: F405
    DATABASES[_alias]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
    if _database_name:
        DATABASES[_alias]["NAME"] = _database_name  # noqa: F405
