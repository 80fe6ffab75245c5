"""Settings for the test suite: fast hashing, mail kept in memory, tasks run in-process."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-not-a-secret")
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests count the e-mails an operation sends; one that wants the admins told sets ADMINS itself.
ADMINS = []
CELERY_TASK_ALWAYS_EAGER = True
# Every test is also a check that no request or task writes twice outside a transaction.
WRITE_GUARD_MODE = "raise"
LOGGING["handlers"]["console"]["formatter"] = "plain"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Tests fold transaction metrics explicitly; a fold at the end of a request or at exit would write
# into whatever database the process points at by then.
TRANSACTION_METRICS_FOLD_INTERVAL = 0
{%- if cookiecutter.use_prometheus == "y" %}
# /metrics stays open here unless METRICS_BEARER_TOKEN is set.
METRICS_OPEN_WITHOUT_TOKEN = True
{%- endif %}
{%- if cookiecutter.use_tenant_routing == "y" %}

# A second tenant database beside "default", so tests can prove that nothing crosses between them.
DATABASES["tenant_b"] = {  # noqa: F405
    **DATABASES["default"],  # noqa: F405
    "NAME": f"{DATABASES['default']['NAME']}_tenant_b",  # noqa: F405
    "TEST": {"NAME": None},
}
TENANT_HOSTS = {**TENANT_HOSTS, "testserver": "default", "tenant-b.testserver": "tenant_b"}  # noqa: F405
ALLOWED_HOSTS = [".testserver", "testserver"]
{%- endif %}
