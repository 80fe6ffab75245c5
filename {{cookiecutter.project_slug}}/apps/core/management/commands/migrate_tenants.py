"""``manage.py migrate_tenants``: migrate the database of every tenant, one after the other.

``migrate`` alone migrates one alias (``default``, or the one given with ``--database``); under
tenant routing each tenant has its own database, and a tenant whose database is behind answers
its first request with a 500. This command runs ``migrate`` on every alias of ``DATABASES``
except the monitoring connection (a second connection to the default database), with the alias
made current so that data migrations and ``post_migrate`` receivers write where they migrate.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from apps.core.services.database_aliases import tenant_aliases
from apps.core.services.transaction_manager import use_database


class Command(BaseCommand):
    help = "Run migrate on every tenant's database (default and each alias of TENANT_DATABASES)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--database",
            action="append",
            dest="aliases",
            metavar="ALIAS",
            help="migrate only this alias (repeat for several); default: every tenant",
        )
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args, aliases=None, interactive=True, verbosity=1, **options):
        known = tenant_aliases()
        unknown = [alias for alias in aliases or [] if alias not in known]
        if unknown:
            raise CommandError(f"unknown tenant alias {unknown[0]!r}; use one of: {', '.join(known)}")
        for alias in aliases or known:
            if verbosity:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Migrating {alias}"))
            with use_database(alias):
                call_command("migrate", database=alias, interactive=interactive, verbosity=verbosity)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Migrated {len(aliases or known)} database(s)."))
