"""`manage.py import_people`: bad rows are rejected by line, failed batches roll back whole."""

import pytest
from django.core.management import CommandError, call_command

from apps.peoples.models import People, PeopleOrganizational, PeopleProfile

HEADER = "username,peoplecode,peoplename,client_code,site_code,email,gender\n"


def write_csv(tmp_path, body):
    path = tmp_path / "people.csv"
    path.write_text(HEADER + body)
    return str(path)


def run(path, *args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_people", path, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_valid_rows_are_imported_with_profiles_and_a_summary(tmp_path, site_bt):
    rows = "".join(f"user{n},C{n:03},Person {n},ACME,ACME-HQ,u{n}@example.com,F\n" for n in range(7))
    out, err = run(write_csv(tmp_path, rows), "--batch-size", "3")
    assert "Imported 7 row(s)." in out
    assert "7/7 rows" in err
    assert People.objects.filter(peoplecode__startswith="C").count() == 7
    assert PeopleProfile.objects.filter(gender="F").count() == 7
    assert PeopleOrganizational.objects.count() == People.objects.count()


def test_invalid_rows_are_rejected_with_line_numbers_and_reasons(tmp_path, site_bt):
    rows = (
        "good1,G1,Good One,ACME,ACME-HQ,,\n"
        "bad1,B1,Bad Client,NOPE,ACME-HQ,,\n"
        "bad2,B2,Bad Mail,ACME,ACME-HQ,not-an-email,\n"
        "good1,G2,Repeated username,ACME,ACME-HQ,,\n"
    )
    out, _ = run(write_csv(tmp_path, rows))
    assert "Imported 1 row(s)." in out
    assert "line 3: client_code: No client has this code." in out
    assert "line 4: email:" in out
    assert "line 5: username: repeats an earlier line of the file." in out
    assert list(
        People.objects.filter(peoplecode__in=["G1", "B1", "B2", "G2"]).values_list("peoplecode", flat=True)
    ) == ["G1"]


def test_a_batch_the_database_refuses_is_rolled_back_whole_and_the_rest_commit(tmp_path, site_bt, monkeypatch):
    from apps.onboarding import imports

    real_create = imports.create_person

    def create_failing_on_fourth(**kwargs):
        if kwargs["peoplecode"] == "P4":
            raise RuntimeError("disk full")
        return real_create(**kwargs)

    monkeypatch.setattr(imports, "create_person", create_failing_on_fourth)
    rows = "".join(f"p{n},P{n},Person {n},ACME,ACME-HQ,,\n" for n in range(1, 8))
    out, _ = run(write_csv(tmp_path, rows), "--batch-size", "3")
    assert "Imported 4 row(s)." in out
    for line in (5, 6, 7):
        assert f"line {line}: batch rolled back: RuntimeError: disk full" in out
    imported = set(People.objects.filter(peoplecode__startswith="P").values_list("peoplecode", flat=True))
    assert imported == {"P1", "P2", "P3", "P7"}
    assert PeopleProfile.objects.filter(people__peoplecode__in=["P4", "P5", "P6"]).count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/people.csv"], "cannot read /nonexistent/people.csv"),
        (["PATH", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["PATH", "--author", "ghost"], "no user named 'ghost'"),
    ],
)
def test_bad_invocations_get_a_message_with_the_fix(tmp_path, db, args, message):
    path = write_csv(tmp_path, "")
    with pytest.raises(CommandError, match=message):
        call_command("import_people", *[path if arg == "PATH" else arg for arg in args])


def test_missing_columns_are_named(tmp_path, db):
    path = tmp_path / "wrong.csv"
    path.write_text("name,code\nx,y\n")
    with pytest.raises(CommandError, match="missing column\\(s\\): username, peoplecode, peoplename"):
        call_command("import_people", str(path))
