from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """What the atomic machinery costs, measured against floors taken in the same run."""

    name = "apps.benchmarks"
    label = "benchmarks"
    verbose_name = "Benchmarks"
