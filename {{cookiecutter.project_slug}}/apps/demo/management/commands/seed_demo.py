"""``manage.py seed_demo``: demo data to try the project with; running it again changes nothing."""

from django.core.management.base import BaseCommand

from apps.core.services.write_guard import unit_of_work
from apps.demo.seeding import seed_demo


class Command(BaseCommand):
    help = "Create a demo client with two sites, people, assets, a PPM job, work orders and a permit (idempotent)."

    def handle(self, *args, **options):
        created = []

        def report(kind, record):
            created.append(kind)
            self.stdout.write(f"  + {kind}: {record}")

        with unit_of_work("command seed_demo"):
            seed_demo(report)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(created)} record(s) created."))
        else:
            self.stdout.write(self.style.SUCCESS("Demo data already complete: nothing to do."))
