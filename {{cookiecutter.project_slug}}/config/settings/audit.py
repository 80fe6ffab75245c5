"""Settings of the processes ``manage.py audit_acknowledged_writes`` starts: production, on loopback.

The audit serves the project as it runs in production (gunicorn, PostgreSQL, Redis locks and
cache, a Celery worker on a Redis broker), on servers of its own that it stops and kills on
purpose. The command sets ``DJANGO_SETTINGS_MODULE`` to this module for the processes it starts
only, with the addresses of those servers in ``DATABASE_URL``, ``REDIS_URL`` and
``CELERY_BROKER_URL``. What differs from production: plain HTTP on 127.0.0.1, mail goes nowhere,
and a short broker visibility timeout, so that a task a killed worker had taken but not
acknowledged is delivered again within the run.
"""

from .production import *  # noqa: F403
from .production import env

ALLOWED_HOSTS = ["127.0.0.1"]
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
ADMINS = []
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
# kombu looks for messages to restore every unacked_restore_interval seconds, but scans only on
# every unacked_restore_throttle-th look (10 s x 10 by default): every 2 s here.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "visibility_timeout": 10,
    "unacked_restore_interval": 2,
    "unacked_restore_throttle": 1,
}
# A published task without a receipt 15 s on was lost (its worker killed after the broker's 10 s):
# the relay publishes it again.
OUTBOX_REDELIVER_AFTER = 15
LOGGING["root"]["level"] = env("DJANGO_LOG_LEVEL", default="WARNING")  # noqa: F405
