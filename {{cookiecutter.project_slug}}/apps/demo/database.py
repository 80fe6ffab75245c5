"""Run a demo command on one database alias, as tenant routing would for a request of that tenant."""

from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections, router

from apps.core.services.transaction_manager import use_database
from apps.core.services.write_guard import unit_of_work


def add_database_argument(parser):
    parser.add_argument(
        "--database",
        default=DEFAULT_DB_ALIAS,
        help='database alias to write to (default "default"); under tenant routing, a tenant\'s alias',
    )


@contextmanager
def on_database(alias, command_name):
    """Make ``alias`` the current database of the enclosed writes, or refuse with the fix.

    Every operation inside runs in one transaction on ``alias`` (the project's boundaries use the
    current alias), and the router must send the queries there too: an alias it would not route to
    (``monitoring``, or a second alias without tenant routing) would split an operation across
    two connections, so it is refused before anything is written.
    """
    if alias not in connections.settings:
        known = ", ".join(sorted(connections.settings))
        raise CommandError(f'Unknown database alias "{alias}". Known aliases: {known}.')
    if alias == settings.MONITORING_DB_ALIAS:
        raise CommandError(f'"{alias}" is the monitoring connection, not a database of its own: use "default".')
    with use_database(alias):
        routed = router.db_for_write(get_user_model())
        if routed != alias:
            raise CommandError(
                f'Writes are routed to "{routed}", not "{alias}": --database takes "{routed}" here, or a '
                "tenant alias of TENANT_DATABASES when the project uses tenant routing."
            )
        with unit_of_work(f"command {command_name}"):
            yield alias
