"""``bench_analyser`` runs end to end and reports its three figures; no timing is asserted."""

import io
import re

from django.core.management import call_command

from apps.benchmarks.analyser_tree import generate_tree
from apps.core.analysis.transaction_usage import analyse_paths


def test_the_generated_tree_has_the_size_asked_for_and_findings_in_its_services(tmp_path):
    assert generate_tree(tmp_path, 300) == 300
    report = analyse_paths([tmp_path / "apps"], root=tmp_path)
    assert report.findings and {finding.code for finding in report.findings} == {"TXN002"}
    assert all(finding.path.endswith("/services.py") for finding in report.findings)


def test_the_benchmark_prints_speed_and_start_up_cost_against_its_floor():
    out = io.StringIO()
    call_command("bench_analyser", files=200, rounds=1, stdout=out)
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"A1 analyser: 200 files in [\d.]+ s = \d+ files/s", lines[0])
    assert re.fullmatch(
        r"A2 manage.py check: [\d.]+ s with the analyser \(cache warm\), [\d.]+ s without; "
        r"[+-][\d.]+ s, ratio [\d.]+ \(target \+0.2 s\) (PASS|MISS)",
        lines[1],
    )
    assert lines[2].startswith("A3 manage.py check after a change (analysis rebuilt): ")
