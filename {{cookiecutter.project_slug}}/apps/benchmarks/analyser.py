"""What the transaction analyser costs: its speed on a generated tree, and what it adds to start-up.

- A1: files per second of the analyser on a generated Django-like tree (``analyser_tree``),
  the median of several runs, and the time of one run.
- A2: ``manage.py check`` with the analyser's system check (its cache warm: nothing changed)
  against ``manage.py check`` with the check switched off (``TRANSACTION_USAGE_CHECK=off``),
  measured in the same interleaved rounds. The target is what a developer feels at every
  ``runserver`` start and reload: at most 0.2 s more than Django's own checks.
- A3: the same ``check`` right after a file changed (the cache is rebuilt), for information.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from apps.core.analysis.cache import default_cache_file
from apps.core.analysis.config import Config
from apps.core.analysis.transaction_usage import analyse_paths

from .analyser_tree import generate_tree
from .timing import interleaved, median

A2_TARGET_SECONDS = 0.2


def analyser_speed(files=4000, runs=3):
    """``(files analysed, median seconds per run)`` on a tree of ``files`` generated files."""
    with tempfile.TemporaryDirectory(prefix="analyser-tree-") as directory:
        generate_tree(directory, files)
        seconds = []
        count = 0
        for _ in range(runs):
            started = time.perf_counter()
            report = analyse_paths([Path(directory) / "apps"], root=directory, config=Config(exclude=()))
            seconds.append(time.perf_counter() - started)
            count = len(report.files)
        return count, median(seconds)


def _check(switch):
    environment = {**os.environ, "TRANSACTION_USAGE_CHECK": switch}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py check failed:\n{result.stdout}\n{result.stderr}")


def startup_cost(rounds=5, warmup=1):
    """Median seconds of ``check`` with the analyser (cache warm) and without, and their paired ratio."""
    samples = interleaved(
        {"with analyser": lambda: _check("on"), "floor": lambda: _check("off")},
        rounds=rounds,
        warmup=warmup,
        ops=1,
    )
    with_analyser, floor = samples["with analyser"], samples["floor"]
    differences = [a - b for a, b in zip(with_analyser, floor, strict=True)]
    ratios = [a / b for a, b in zip(with_analyser, floor, strict=True)]
    return median(with_analyser), median(floor), median(differences), median(ratios)


def cold_check_seconds():
    """One ``check`` after the analyser's cache was dropped: what a changed file costs once."""
    cache = default_cache_file(Path(settings.BASE_DIR))
    cache.unlink(missing_ok=True)
    started = time.perf_counter()
    _check("on")
    return time.perf_counter() - started
