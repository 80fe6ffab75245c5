"""Importing people from CSV: every row validated first, then imported in transactional batches.

A row with bad values is rejected on its own, with its line number and the reasons. Valid rows
are imported ``batch_size`` at a time, each batch one transaction: a batch the database refuses
(a duplicate code, say) is rolled back whole and its rows are reported with the error, while
the other batches still commit.
"""

import csv
from dataclasses import dataclass, field

from django import forms

from apps.core.services.transaction_manager import transactional_batch_operation
from apps.peoples.models import People, PeopleProfile
from apps.peoples.services import create_person

from .models import Bt

REQUIRED_COLUMNS = ("username", "peoplecode", "peoplename", "client_code", "site_code")
OPTIONAL_COLUMNS = ("email", "mobno", "gender", "dateofjoin", "location")


class PersonRowForm(forms.Form):
    username = forms.CharField(max_length=150)
    peoplecode = forms.CharField(max_length=50)
    peoplename = forms.CharField(max_length=150)
    client_code = forms.CharField(max_length=30)
    site_code = forms.CharField(max_length=30)
    email = forms.EmailField(required=False)
    mobno = forms.CharField(max_length=20, required=False)
    gender = forms.ChoiceField(choices=PeopleProfile.Gender.choices, required=False)
    dateofjoin = forms.DateField(required=False)
    location = forms.CharField(max_length=120, required=False)

    def clean(self):
        cleaned = super().clean()
        client = Bt.objects.filter(bucode=cleaned.get("client_code"), identifier=Bt.Identifier.CLIENT).first()
        site = Bt.objects.filter(bucode=cleaned.get("site_code"), parent=client).first() if client else None
        if "client_code" in cleaned and client is None:
            self.add_error("client_code", "No client has this code.")
        elif "site_code" in cleaned and site is None:
            self.add_error("site_code", "No site of this client has this code.")
        for name in ("username", "peoplecode"):
            if cleaned.get(name) and People.objects.filter(**{name: cleaned[name]}).exists():
                self.add_error(name, "A person with this value exists already.")
        cleaned["client"], cleaned["site"] = client, site
        return cleaned


@dataclass
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportSummary:
    imported: int = 0
    rejected: list = field(default_factory=list)


class ImportFileError(Exception):
    """The file cannot be imported at all (missing columns); the message says what to fix."""


def read_rows(text_stream):
    """Yield ``(line_number, row_dict)``; raise ImportFileError when required columns are missing."""
    reader = csv.DictReader(text_stream)
    missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ImportFileError(
            f"missing column(s): {', '.join(missing)}. The first line must name the columns "
            f"{', '.join(REQUIRED_COLUMNS)} (optional: {', '.join(OPTIONAL_COLUMNS)})."
        )
    for row in reader:
        yield reader.line_num, {key: (value or "").strip() for key, value in row.items() if key}


def import_people(text_stream, *, author, batch_size=100, on_progress=None):
    """Validate every row, then import the valid ones in batches; return an ``ImportSummary``.

    ``on_progress(processed, total)`` is called after each batch.
    """
    summary = ImportSummary()
    valid = []
    seen = {"username": set(), "peoplecode": set()}
    for line, row in read_rows(text_stream):
        form = PersonRowForm(row)
        if not form.is_valid():
            reasons = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
            summary.rejected.append(RejectedRow(line, reasons))
            continue
        duplicate = [name for name in seen if form.cleaned_data[name] in seen[name]]
        if duplicate:
            summary.rejected.append(RejectedRow(line, f"{duplicate[0]}: repeats an earlier line of the file."))
            continue
        for name in seen:
            seen[name].add(form.cleaned_data[name])
        valid.append((line, form.cleaned_data))

    def create(item):
        _line, data = item
        details = {key: value for key, value in data.items() if key not in ("client_code", "site_code") and value}
        return create_person(author=author, **details)

    def progress(result):
        if on_progress is not None:
            on_progress(result.total, len(valid))

    result = transactional_batch_operation(valid, create, batch_size=batch_size, on_batch_done=progress)
    summary.imported = result.succeeded
    for failure in result.failures:
        summary.rejected.extend(
            RejectedRow(line, f"batch rolled back: {failure.error}") for line, _data in failure.items
        )
    summary.rejected.sort(key=lambda rejected: rejected.line)
    return summary
