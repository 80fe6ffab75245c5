"""``manage.py seed_demo [--client CODE] [--database ALIAS]``: demo data; running it again changes nothing.

Runs as the system, unscoped: it writes for the client it is given, whatever the roles allow.
"""

from django.core.management.base import BaseCommand, CommandError

from apps.demo.database import add_database_argument, on_database
from apps.demo.passwords import demo_secret, password_for
from apps.demo.seeding import DEFAULT_CLIENT, client_code, seed_demo


class Command(BaseCommand):
    help = (
        "Create a demo client with two sites, one login per role, the permit roster, assets, a PPM job, a vendor, "
        "work orders and a permit (idempotent). --client CODE seeds a further client of the same shape."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--client",
            default=DEFAULT_CLIENT,
            help=f"code of the client to seed (default {DEFAULT_CLIENT}); its sites, people and logins derive from it",
        )
        add_database_argument(parser)

    def handle(self, *args, **options):
        try:
            code = client_code(options["client"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        created = []

        def report(kind, record):
            created.append(kind)
            self.stdout.write(f"  + {kind}: {record}")

        with on_database(options["database"], "seed_demo") as alias:
            secret = demo_secret(announce=self.stdout.write)
            seed_demo(report, code=code, password_for=lambda username: password_for(username, secret))
        where = "" if alias == "default" else f' on database "{alias}"'
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo client {code}{where}: {len(created)} record(s) created."))
            self.stdout.write("Print its logins with: python manage.py create_demo_staff")
        else:
            self.stdout.write(self.style.SUCCESS(f"Demo client {code}{where} already complete: nothing to do."))
