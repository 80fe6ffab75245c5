"""Prometheus metrics at /metrics, safe under several gunicorn worker processes.

The figures name operations, lock types and failure counts: not for the public. With
``METRICS_BEARER_TOKEN`` set, only a request carrying ``Authorization: Bearer <token>`` (what
Prometheus sends with ``authorization: {credentials: ...}`` in its scrape config) is answered;
any other gets 401. Without a token the endpoint is switched off (404) in production and open in
local and test settings (``METRICS_OPEN_WITHOUT_TOKEN``).

With ``PROMETHEUS_MULTIPROC_DIR`` set (as gunicorn deployments should), the figures of all
worker processes are collected from that directory; otherwise the current process's registry is
exposed. The task outbox's backlog is read from the database at each scrape.
"""

import hmac
import os

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from apps.core.outbox.metrics import OutboxBacklogCollector


def _bearer_token(request):
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def _refusal(request):
    """None when the caller may read the metrics; otherwise the answer to give instead."""
    expected = settings.METRICS_BEARER_TOKEN
    if not expected:
        if settings.METRICS_OPEN_WITHOUT_TOKEN:
            return None
        raise Http404("Metrics are switched off.")
    if hmac.compare_digest(_bearer_token(request).encode(), expected.encode()):
        return None
    response = HttpResponse("A valid bearer token is required.\n", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@never_cache
@require_safe
def metrics_view(request):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    backlog = CollectorRegistry()
    backlog.register(OutboxBacklogCollector())
    return HttpResponse(generate_latest(registry) + generate_latest(backlog), content_type=CONTENT_TYPE_LATEST)
