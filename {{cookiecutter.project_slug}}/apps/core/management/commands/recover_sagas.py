"""``manage.py recover_sagas``: compensate the saga runs a crash left RUNNING, now.

What the ``core.recover_stuck_sagas`` beat task does every minute, for a deployment without beat
or an operator who does not want to wait: runs RUNNING for longer than ``--timeout`` seconds
(default ``SAGA_RECOVERY_TIMEOUT``) are compensated, each once.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core.services.saga import recover_stuck_sagas


class Command(BaseCommand):
    help = "Compensate saga runs left RUNNING past their timeout by a process that died."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=int, default=None, help="seconds a run may be RUNNING (default SAGA_RECOVERY_TIMEOUT)"
        )

    def handle(self, *args, timeout, **options):
        if timeout is not None and timeout < 0:
            raise CommandError(f"--timeout must be 0 or more seconds, not {timeout}")
        recovered = recover_stuck_sagas(timeout)
        for log in recovered:
            self.stdout.write(f"{log.name} {log.saga_id}: {log.status} ({', '.join(log.compensations_run) or '-'})")
        limit = settings.SAGA_RECOVERY_TIMEOUT if timeout is None else timeout
        self.stdout.write(f"{len(recovered)} saga run(s) recovered (RUNNING for more than {limit} s).")
