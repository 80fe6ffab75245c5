"""The README's "who can do what" table is the roles' real permissions, no more and no less."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from apps.core.access.roles import ROLE_PERMISSIONS, Role

README = Path(__file__).resolve().parent.parent / "README.md"
COLUMNS = {"Technician": Role.TECHNICIAN, "Supervisor": Role.SUPERVISOR, "Client admin": Role.CLIENT_ADMIN}


def _readme_table():
    """``{role: {"app.verb_model", ...}}`` and the platform staff column, read from the README."""
    text = README.read_text()
    section = text.split("## Who can do what", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    table = {role: set() for role in COLUMNS.values()}
    staff = set()
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        app_label, model_name = re.search(r"`(\w+)\.(\w+)`", cells[0]).groups()
        for title, cell in zip(header[1:], cells[1:], strict=True):
            if title == "Platform staff":
                staff.add(cell)
                continue
            verbs = [] if cell == "-" else [verb.strip() for verb in cell.split(",")]
            table[COLUMNS[title]] |= {f"{app_label}.{verb}_{model_name}" for verb in verbs}
    return table, staff


def test_the_readme_table_is_the_role_table_in_the_code():
    table, staff = _readme_table()
    assert table == {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()}
    assert staff == {"all"}


@pytest.mark.django_db
def test_the_role_groups_hold_exactly_the_permissions_of_the_readme():
    table, _ = _readme_table()
    for role, perms in table.items():
        group = Group.objects.get(name=role)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == perms, role
