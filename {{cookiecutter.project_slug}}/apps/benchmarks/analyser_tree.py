"""A generated Django codebase to time the transaction analyser on.

Large Django projects are mostly models, migrations, tests, serializers, admin and URL modules;
a minority of files open transactions, send tasks or take locks. The generated tree keeps those
proportions: each app has the usual modules at realistic lengths, and one app in four has a
service that sends a task inside a transaction (a finding), so the analyser does its full work
on part of the tree and its text pre-filter on the rest.
"""

import random
from pathlib import Path

MODEL = '''
class {name}(models.Model):
    """A {lower} of the {app} app."""

    name = models.CharField(max_length=120)
    code = models.CharField(max_length=30, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return " ".join([self.code, self.name])

    @property
    def label(self):
        return self.name.title() if self.enabled else "(" + self.name + ")"
'''

MIGRATION = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("{app}", "{previous}")]

    operations = [
        migrations.CreateModel(
            name="{name}",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=120)),
                ("code", models.CharField(max_length=30, unique=True)),
                ("created", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.AddField(model_name="{lower}", name="enabled", field=models.BooleanField(default=True)),
    ]
"""

SERIALIZER = """
class {name}Serializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = {name}
        fields = ["id", "name", "code", "label", "enabled"]

    def validate_code(self, value):
        if not value.isalnum():
            raise serializers.ValidationError("letters and digits only")
        return value.upper()
"""

ADMIN = """
@admin.register({name})
class {name}Admin(admin.ModelAdmin):
    list_display = ("code", "name", "enabled", "created")
    list_filter = ("enabled",)
    search_fields = ("code", "name")
    readonly_fields = ("created", "modified")
"""

TEST = """
class {name}Tests(TestCase):
    def setUp(self):
        self.item = {name}.objects.create(name="first", code="F{index}")

    def test_label_of_a_disabled_{lower}_is_in_parentheses(self):
        self.item.enabled = False
        self.item.save()
        self.assertEqual(self.item.label, "(first)")

    def test_code_is_unique(self):
        with self.assertRaises(IntegrityError):
            {name}.objects.create(name="second", code="F{index}")
"""

VIEW = """
class {name}ListView(LoginRequiredMixin, ListView):
    model = {name}
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().filter(enabled=True).select_related("parent")


class {name}DetailView(LoginRequiredMixin, DetailView):
    model = {name}
"""

SERVICE = """
def rename_{lower}(item, name):
    item.name = name
    item.save(update_fields=["name"])
    return item


@transaction.atomic
def publish_{lower}(item):
    item.enabled = True
    item.save(update_fields=["enabled"])
    {name}.objects.filter(parent=item).update(enabled=True)
    notify_{app}.delay(item.pk)
"""

UTIL = '''
def chunked(items, size=100):
    """Yield lists of at most ``size`` items."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def slug_{index}(text):
    return "-".join(part for part in text.lower().split() if part.isalnum())


def percent_{index}(part, whole):
    return round(100.0 * part / whole, 1) if whole else 0.0
'''


def _names(rng, count):
    words = ["Asset", "Ticket", "Shift", "Route", "Permit", "Invoice", "Vendor", "Site", "Checklist", "Meter"]
    return [f"{rng.choice(words)}{index}" for index in range(count)]


def generate_tree(root, files=4000, seed=1):
    """Write a Django-like tree of about ``files`` Python files under ``root``; return their count."""
    rng = random.Random(seed)
    root = Path(root)
    written = 0
    app_index = 0
    while written < files:
        app = f"app{app_index:03d}"
        models = _names(rng, rng.randint(3, 6))
        base = root / "apps" / app
        modules = {
            "__init__.py": "",
            "apps.py": f"from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = 'apps.{app}'\n",
            "models.py": "from django.db import models\n"
            + "".join(MODEL.format(name=m, lower=m.lower(), app=app) for m in models),
            "serializers.py": "from rest_framework import serializers\n\nfrom .models import *  # noqa\n"
            + "".join(SERIALIZER.format(name=m) for m in models),
            "admin.py": "from django.contrib import admin\n\nfrom .models import *  # noqa\n"
            + "".join(ADMIN.format(name=m) for m in models),
            "views.py": "from django.contrib.auth.mixins import LoginRequiredMixin\n"
            "from django.views.generic import DetailView, ListView\n\nfrom .models import *  # noqa\n"
            + "".join(VIEW.format(name=m) for m in models),
            "urls.py": "from django.urls import path\n\nfrom . import views\n\nurlpatterns = [\n"
            + "".join(f'    path("{m.lower()}/", views.{m}ListView.as_view()),\n' for m in models)
            + "]\n",
            "utils.py": "".join(UTIL.format(index=i) for i in range(3)),
            "migrations/__init__.py": "",
            "tests/__init__.py": "",
        }
        if app_index % 4 == 0:
            modules["services.py"] = (
                "from django.db import transaction\n\nfrom .models import *  # noqa\n"
                f"from .tasks import notify_{app}\n"
                + "".join(SERVICE.format(name=m, lower=m.lower(), app=app) for m in models)
            )
            modules["tasks.py"] = (
                f"from celery import shared_task\n\n\n@shared_task\ndef notify_{app}(pk):\n    return pk\n"
            )
        previous = "0001_initial"
        for number, model in enumerate(models, start=2):
            name = f"{number:04d}_{model.lower()}"
            modules[f"migrations/{name}.py"] = MIGRATION.format(
                app=app, previous=previous, name=model, lower=model.lower()
            )
            previous = name
        for model in models:
            modules[f"tests/test_{model.lower()}.py"] = (
                "from django.db import IntegrityError\nfrom django.test import TestCase\n\n"
                "from ..models import *  # noqa\n" + TEST.format(name=model, lower=model.lower(), index=app_index)
            )
        for relative, text in modules.items():
            if written >= files and relative != "__init__.py":
                continue
            path = base / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written += 1
        app_index += 1
    return written
