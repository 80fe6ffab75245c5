"""``manage.py import_people FILE --batch-size N [--database ALIAS]``: people from CSV, in transactional batches.

A command runs as the system, for every client: nothing it reads or writes is scoped
(``apps.core.access`` scopes the requests of people).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.core.services.transaction_manager import use_database
from apps.core.services.write_guard import unit_of_work
from apps.onboarding.imports import REQUIRED_COLUMNS, ImportFileError, import_people


class Command(BaseCommand):
    help = (
        "Import people from a CSV file whose first line names the columns "
        f"({', '.join(REQUIRED_COLUMNS)}, and optionally email, mobno, gender, dateofjoin, location)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the CSV file (UTF-8)")
        parser.add_argument("--batch-size", type=int, default=100, help="rows per transaction (default 100)")
        parser.add_argument("--author", help="username recorded as the creator of the imported people")
        parser.add_argument(
            "--database",
            default="default",
            help="database alias to import into (a tenant's, under tenant routing; default: default)",
        )

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1, e.g. --batch-size 100")
        alias = options["database"]
        if alias not in settings.DATABASES:
            known = ", ".join(sorted(settings.DATABASES))
            raise CommandError(f"unknown database alias {alias!r}; use one of: {known}")
        with use_database(alias):
            self._import(options)

    def _import(self, options):
        author = self._author(options["author"])
        try:
            stream = open(options["file"], encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}. Give the path of a CSV file.") from exc
        with stream, unit_of_work("command import_people"):
            try:
                summary = import_people(
                    stream, author=author, batch_size=options["batch_size"], on_progress=self._progress
                )
            except ImportFileError as exc:
                raise CommandError(str(exc)) from exc
            except UnicodeDecodeError as exc:
                raise CommandError("the file is not UTF-8 text; save it as UTF-8 CSV and try again") from exc
        self.stderr.write("")
        self.stdout.write(self.style.SUCCESS(f"Imported {summary.imported} row(s)."))
        if summary.rejected:
            self.stdout.write(self.style.WARNING(f"Rejected {len(summary.rejected)} row(s):"))
            for rejected in summary.rejected:
                self.stdout.write(f"  line {rejected.line}: {rejected.reason}")

    def _author(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user named {username!r}; create it first or leave out --author") from exc

    def _progress(self, processed, total):
        width = 30
        done = width * processed // total if total else width
        self.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {processed}/{total} rows", ending="")
        self.stderr.flush()
