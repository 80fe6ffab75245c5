"""``manage.py create_demo_staff``: a staff login for the admin, the dashboard and the API."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from apps.core.services.write_guard import unit_of_work
from apps.onboarding.models import Bt
from apps.peoples.services import create_person, update_person

USERNAME = "demo.admin"


class Command(BaseCommand):
    help = "Create (or reset the password of) the demo staff user and print its credentials."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="use this password instead of a generated one")

    def handle(self, *args, **options):
        password = options["password"] or secrets.token_urlsafe(12)
        with unit_of_work("command create_demo_staff"):
            person = get_user_model().objects.filter(username=USERNAME).first()
            if person is None:
                client = Bt.objects.filter(bucode="DEMO").first()
                site = Bt.objects.filter(bucode="DEMO-HQ").first()
                person = create_person(
                    author=None,
                    username=USERNAME,
                    peoplecode="DEMO-ADMIN",
                    peoplename="Demo Administrator",
                    password=password,
                    client=client,
                    site=site,
                    is_staff=True,
                    is_superuser=True,
                )
            else:
                update_person(
                    author=None, person=person, password=password, is_active=True, is_staff=True, is_superuser=True
                )
        self.stdout.write(self.style.SUCCESS("Demo staff user (admin, dashboard, API):"))
        self.stdout.write(f"  username: {USERNAME}")
        self.stdout.write(f"  password: {password}")
