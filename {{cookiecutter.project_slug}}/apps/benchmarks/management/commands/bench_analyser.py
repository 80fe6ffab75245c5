"""``manage.py bench_analyser``: the transaction analyser's speed and what it adds to start-up.

Prints A1 (files per second on a generated tree), A2 (``check`` with the analyser's cached
system check against ``check`` with it switched off, same run, with the 0.2 s target) and A3
(one ``check`` right after a change). A missed target is reported, not an error: exit 0.
"""

from django.core.management.base import BaseCommand

from apps.benchmarks import analyser


class Command(BaseCommand):
    help = "Time the transaction analyser on a generated tree and its cost at manage.py start-up."

    def add_arguments(self, parser):
        parser.add_argument("--files", type=int, default=4000, help="size of the generated tree (default 4000)")
        parser.add_argument("--rounds", type=int, default=5, help="measured rounds of manage.py check (default 5)")

    def handle(self, *args, files, rounds, **options):
        count, seconds = analyser.analyser_speed(files)
        self.stdout.write(f"A1 analyser: {count} files in {seconds:.2f} s = {count / seconds:.0f} files/s")
        cold = analyser.cold_check_seconds()
        with_analyser, floor, difference, ratio = analyser.startup_cost(rounds=rounds)
        verdict = "PASS" if difference <= analyser.A2_TARGET_SECONDS else "MISS"
        self.stdout.write(
            f"A2 manage.py check: {with_analyser:.2f} s with the analyser (cache warm), {floor:.2f} s without; "
            f"{difference:+.3f} s, ratio {ratio:.2f} (target +{analyser.A2_TARGET_SECONDS} s) {verdict}"
        )
        self.stdout.write(f"A3 manage.py check after a change (analysis rebuilt): {cold:.2f} s")
