"""``manage.py create_demo_staff [--password P] [--database ALIAS]``: the demo logins, printed.

Creates (or repairs) the platform staff login and makes sure every demo person of every seeded
demo client signs in with its password, derived from ``DEMO_PASSWORD`` in ``.env``: running it
again prints the same logins. Runs as the system, unscoped.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from apps.demo.database import add_database_argument, on_database
from apps.demo.passwords import demo_secret, password_for
from apps.demo.seeding import DEFAULT_CLIENT, demo_clients, demo_logins
from apps.onboarding.models import Bt
from apps.peoples.services import create_person, update_person

USERNAME = "demo.admin"
STAFF_ROLE = "Platform staff"


def _staff(password):
    person = get_user_model().objects.filter(username=USERNAME).first()
    if person is None:
        return create_person(
            author=None,
            username=USERNAME,
            peoplecode="DEMO-ADMIN",
            peoplename="Demo Administrator",
            password=password,
            client=Bt.objects.filter(bucode=DEFAULT_CLIENT).first(),
            site=Bt.objects.filter(bucode=f"{DEFAULT_CLIENT}-HQ").first(),
            is_staff=True,
            is_superuser=True,
        )
    if not (person.is_active and person.is_staff and person.is_superuser and person.check_password(password)):
        update_person(author=None, person=person, password=password, is_active=True, is_staff=True, is_superuser=True)
    return person


class Command(BaseCommand):
    help = "Create the demo staff login and print every demo login (username, role, client, password)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="the staff login's password instead of one derived from DEMO_PASSWORD")
        add_database_argument(parser)

    def handle(self, *args, **options):
        with on_database(options["database"], "create_demo_staff") as alias:
            secret = demo_secret(announce=self.stdout.write)
            staff = _staff(options["password"] or password_for(USERNAME, secret))
            logins = [(staff, STAFF_ROLE, "all", options["password"] or password_for(USERNAME, secret))]
            for person, role, client in demo_logins(demo_clients()):
                password = password_for(person.username, secret)
                if not person.check_password(password):
                    update_person(author=None, person=person, password=password)
                logins.append((person, role, client, password))
        where = "" if alias == "default" else f' (database "{alias}")'
        self.stdout.write(self.style.SUCCESS(f"Demo logins{where}; passwords derive from DEMO_PASSWORD in .env:"))
        header = ("username", "role", "client", "password")
        rows = [header, *((person.username, role, client, password) for person, role, client, password in logins)]
        widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
        for row in rows:
            cells = (value.ljust(width) for value, width in zip(row, widths, strict=True))
            self.stdout.write(("  " + "  ".join(cells)).rstrip())
        if len(logins) == 1:
            self.stdout.write("No demo client is seeded yet: python manage.py seed_demo [--client CODE]")
