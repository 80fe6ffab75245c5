"""Prometheus metrics at /metrics, safe under several gunicorn worker processes.

With ``PROMETHEUS_MULTIPROC_DIR`` set (as gunicorn deployments should), the figures of all
worker processes are collected from that directory; otherwise the current process's registry is
exposed.
"""

import os

from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess


def metrics_view(request):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
