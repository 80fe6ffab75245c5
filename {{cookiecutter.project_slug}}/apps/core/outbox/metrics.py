"""The task outbox's backlog as Prometheus gauges, read from the database at each scrape.

The backlog is a fact of the database, not of one process, so it is not counted in memory like
the other metrics: every scrape asks each tenant's alias (one aggregate query each).
"""

from prometheus_client.core import GaugeMetricFamily

from apps.core.services.transaction_monitoring_service import task_outbox_backlog


class OutboxBacklogCollector:
    def collect(self):
        pending = GaugeMetricFamily(
            "outbox_pending_messages", "Tasks committed but not yet published to the broker", labels=["alias"]
        )
        oldest = GaugeMetricFamily(
            "outbox_oldest_pending_seconds", "Age of the oldest task waiting in the outbox (0: none)", labels=["alias"]
        )
        for row in task_outbox_backlog()["aliases"]:
            pending.add_metric([row["alias"]], row["pending"])
            oldest.add_metric([row["alias"]], row["oldest_age_seconds"] or 0)
        yield pending
        yield oldest
