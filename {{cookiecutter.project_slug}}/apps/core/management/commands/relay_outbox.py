"""``manage.py relay_outbox``: publish the tasks the outbox still holds, now or continuously.

What the ``core.relay_outbox`` beat task does every 15 seconds, for a deployment without beat, an
operator after a broker outage, or a process of its own (``--loop``). By default only messages
pending for more than ``OUTBOX_RELAY_DELAY`` seconds are taken (a younger one is being published
by the process that committed it); ``--older-than 0`` takes every pending message. A published
message whose task left no receipt after ``--redeliver-after`` seconds (``OUTBOX_REDELIVER_AFTER``)
is published again.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from apps.core.models import OutboxMessage
from apps.core.outbox.relay import relay
from apps.core.services.database_aliases import tenant_aliases


class Command(BaseCommand):
    help = "Publish the pending messages of the task outbox on every tenant's database."

    def add_arguments(self, parser):
        parser.add_argument("--database", action="append", dest="aliases", metavar="ALIAS", help="only this alias")
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            help="seconds a message must be pending (default OUTBOX_RELAY_DELAY)",
        )
        parser.add_argument(
            "--loop", type=float, default=None, metavar="SECONDS", help="repeat every SECONDS until stopped"
        )

    def handle(self, *args, aliases=None, older_than=None, redeliver_after=None, loop=None, **options):
        known = tenant_aliases()
        unknown = [alias for alias in aliases or [] if alias not in known]
        if unknown:
            raise CommandError(f"unknown database alias {', '.join(unknown)}; known: {', '.join(known)}")
        if older_than is not None and older_than < 0:
            raise CommandError(f"--older-than must be 0 or more seconds, not {older_than}")
        if redeliver_after is not None and redeliver_after < 0:
            raise CommandError(f"--redeliver-after must be 0 or more seconds, not {redeliver_after}")
        if loop is not None and loop <= 0:
            raise CommandError(f"--loop must be more than 0 seconds, not {loop}")
        while True:
            for alias in aliases or known:
                published, failed, held = relay(alias, older_than=older_than, redeliver_after=redeliver_after)
                pending, age = OutboxMessage.objects.using(alias).backlog()
                oldest = f", oldest {age:.0f} s" if age is not None else ""
                self.stdout.write(
                    f"{alias}: {published} published, {failed} refused by the broker, {held} held back; "
                    f"{pending} pending{oldest}"
                )
            if loop is None:
                return
            time.sleep(loop)
