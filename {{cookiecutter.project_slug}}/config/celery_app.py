"""The Celery application.

Settings come from Django settings under the ``CELERY_`` namespace. With no broker configured
(no ``REDIS_URL`` / ``CELERY_BROKER_URL``) tasks run eagerly in the sending process, after the
transaction that scheduled them has committed, so the demo needs no worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("{{ cookiecutter.project_slug }}")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
