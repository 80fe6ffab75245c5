"""Settings for a developer's machine: debug on, readable logs, a secret key that needs no setup."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-a-secret")
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="plain")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405
WRITE_GUARD_MODE = env("WRITE_GUARD_MODE", default="warn")
{%- if cookiecutter.use_prometheus == "y" %}
# /metrics stays open here unless METRICS_BEARER_TOKEN is set.
METRICS_OPEN_WITHOUT_TOKEN = True
{%- endif %}
