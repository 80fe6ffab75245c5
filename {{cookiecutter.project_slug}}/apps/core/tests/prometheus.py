"""What Prometheus would scrape, for tests that read the counters in any baked variant."""

from django.urls import NoReverseMatch, reverse
from prometheus_client import REGISTRY, generate_latest


def metrics_text(client):
    """``/metrics`` when the project serves it, else the same registry (baked without Prometheus)."""
    try:
        return client.get(reverse("metrics")).content.decode()
    except NoReverseMatch:
        return generate_latest(REGISTRY).decode()
