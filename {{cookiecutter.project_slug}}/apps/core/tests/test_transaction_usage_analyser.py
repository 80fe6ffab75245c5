"""The transaction-usage analyser, over small source snippets: what each rule reports and what it leaves alone.

These tests need no database and no Django: the analyser reads source text only.
"""

import io
import json
import subprocess
import sys
import textwrap
import tokenize
from pathlib import Path

import pytest

from apps.core.analysis.transaction_usage import (
    BOUNDARY_BASES,
    Finding,
    analyse_paths,
    analyse_source,
    format_report,
    main,
)

PROJECT_ROOT = Path(__file__).resolve().parents[3]

VIEW_HEADER = """\
from django.db import transaction
from django.views import View

from apps.core.services.transaction_manager import atomic_view_operation, get_current_db_name
from apps.core.views.forms import AtomicFormView

from .models import Foo
"""


def analyse(source, path="apps/example/views.py"):
    return analyse_source(textwrap.dedent(source), path)


def codes(source, path="apps/example/views.py"):
    return [finding.code for finding in analyse(source, path)]


def line_of(source, text):
    """The 1-based line of the first line of the dedented ``source`` containing ``text``."""
    for number, line in enumerate(textwrap.dedent(source).splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in the snippet")


# TXN001: form views


UNPROTECTED_FORM_VIEW = (
    VIEW_HEADER
    + """
class FooView(View):
    def handle_valid_form(self, form, request, create):
        foo = Foo.objects.create(name=form.cleaned_data["name"])
        save_userinfo(foo, request.user)
        return foo
"""
)


def test_handle_valid_form_writing_outside_a_transaction_is_reported():
    [finding] = analyse(UNPROTECTED_FORM_VIEW)
    assert finding.code == "TXN001"
    assert finding.path == "apps/example/views.py"
    assert finding.line == line_of(UNPROTECTED_FORM_VIEW, "def handle_valid_form")
    assert finding.qualname == "FooView.handle_valid_form"
    assert finding.message == "writes (Foo.objects.create, save_userinfo) run outside a transaction"
    assert "@atomic_view_operation()" in finding.fix
    assert "with transaction.atomic(using=get_current_db_name()):" in finding.fix


def test_report_block_names_file_line_and_method():
    [finding] = analyse(UNPROTECTED_FORM_VIEW)
    block = finding.format().splitlines()
    assert block[0] == f"apps/example/views.py:{finding.line}: TXN001 in FooView.handle_valid_form"
    assert block[1] == "  issue: writes (Foo.objects.create, save_userinfo) run outside a transaction"
    assert block[2].startswith("  fix:   move the writes into a service decorated with @atomic_view_operation()")
    assert "           with transaction.atomic(using=get_current_db_name()):" in block


def test_handle_valid_form_that_only_calls_a_service_is_not_reported():
    source = """
    from django.views import View
    from .services import create_foo

    class FooView(View):
        def handle_valid_form(self, form, request, create):
            foo = create_foo(author=request.user, **form.cleaned_data)
            return JsonResponse({"pk": foo.pk}, status=201)
    """
    assert codes(source) == []


def test_a_single_plain_write_in_handle_valid_form_is_atomic_on_its_own(tmp_path):
    source = """
    class FooView(View):
        def handle_valid_form(self, form, request, create):
            form.save()
    """
    assert codes(source) == []
    write(tmp_path / "views.py", source)
    [entry] = analyse_paths([tmp_path], root=tmp_path).entry_points
    assert (entry.protected, entry.boundary) == (True, "single write")


@pytest.mark.parametrize(
    "base",
    ["AtomicFormView", "forms.AtomicFormView", "apps.core.views.forms.AtomicFormView"],
)
def test_atomic_form_view_subclass_is_protected_by_its_base(base):
    source = f"""
    class FooView({base}):
        def handle_valid_form(self, form, request, create):
            Foo.objects.create(name="x")
            form.save()
    """
    assert codes(source) == []


def test_base_class_imported_under_an_alias_still_protects():
    source = """
    from apps.core.views.forms import AtomicFormView as Base

    class FooView(Base):
        def handle_valid_form(self, form, request, create):
            Foo.objects.create(name="x")
    """
    assert codes(source) == []


def test_protection_is_inherited_through_classes_of_the_same_file():
    source = """
    class TenantFormView(AtomicFormView):
        template_name = "tenant.html"

    class FooView(TenantFormView):
        def handle_valid_form(self, form, request, create):
            Foo.objects.create(name="x")
    """
    assert codes(source) == []


def test_a_base_of_the_same_file_that_wraps_handle_valid_form_protects_subclasses():
    source = """
    from django.db import transaction

    class WrappingView(View):
        def post(self, request):
            with transaction.atomic():
                return self.handle_valid_form(self.get_form(), request, create=True)

    class FooView(WrappingView):
        def handle_valid_form(self, form, request, create):
            Foo.objects.create(name="x")
    """
    assert codes(source) == []


def test_a_base_of_the_same_file_without_a_boundary_does_not_protect():
    source = """
    class PlainView(View):
        def post(self, request):
            return self.handle_valid_form(self.get_form(), request, create=True)

    class FooView(PlainView):
        def handle_valid_form(self, form, request, create):
            Foo.objects.create(name="x")
            form.save()
    """
    assert codes(source) == ["TXN001"]


@pytest.mark.parametrize("name, protected", [("dispatch", True), ("post", True), ("get", False)])
def test_method_decorator_on_the_class_protects_when_it_wraps_the_way_in(name, protected):
    source = f"""
    @method_decorator(transaction.atomic, name="{name}")
    class FooView(View):
        def handle_valid_form(self, form, request, create):
            form.save()
            Foo.objects.create(name="x")
    """
    assert codes(source) == ([] if protected else ["TXN001"])


def test_a_base_of_the_same_file_with_an_atomic_dispatch_protects_subclasses():
    source = """
    class AtomicDispatchView(View):
        @method_decorator(transaction.atomic)
        def dispatch(self, request, *args, **kwargs):
            return super().dispatch(request, *args, **kwargs)

    class FooView(AtomicDispatchView):
        def handle_valid_form(self, form, request, create):
            form.save()
    """
    assert codes(source) == []


def test_inheritance_cycles_do_not_hang():
    source = """
    class A(B):
        pass

    class B(A):
        def handle_valid_form(self, form, request, create):
            form.save()
            Foo.objects.create(name="x")
    """
    assert codes(source) == ["TXN001"]


def test_known_bases_live_in_one_table():
    assert BOUNDARY_BASES["AtomicFormView"] == {"handle_valid_form"}
    for name in ("AtomicModelViewSet", "AtomicCreateReadViewSet", "AtomicWriteMixin"):
        assert BOUNDARY_BASES[name] == {"perform_create", "perform_update", "perform_destroy"}


# Boundaries: decorators and with blocks, under any alias


def view_module(imports, decorator, body):
    """A module with ``imports`` and a view whose ``handle_valid_form`` has ``decorator`` and ``body``."""
    lines = [imports, "", "class FooView(View):"]
    if decorator:
        lines.append(f"    {decorator}")
    lines.append("    def handle_valid_form(self, form, request, create):")
    lines.extend(f"        {line}" for line in body)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "imports, decorator",
    [
        ("from django.db import transaction", "@transaction.atomic"),
        ("from django.db import transaction", "@transaction.atomic()"),
        ("from django.db import transaction", '@transaction.atomic(using="x")'),
        ("from django.db import transaction as tx", "@tx.atomic"),
        ("import django.db.transaction as t", "@t.atomic(durable=True)"),
        ("from django.db.transaction import atomic as a", "@a"),
        ("from django.db.transaction import atomic", "@atomic()"),
        ("from apps.core.services.transaction_manager import atomic_view_operation", "@atomic_view_operation()"),
        ("from apps.core.services.transaction_manager import atomic_view_operation as avo", "@avo()"),
        ("from apps.core.services import transaction_manager as tm", "@tm.atomic_view_operation(durable=True)"),
        ("from apps.core.services.transaction_manager import signal_aware_transaction", "@signal_aware_transaction()"),
        (
            "from apps.core.services.distributed_locks import LockRegistry, with_lock_and_transaction",
            '@with_lock_and_transaction(LockRegistry.JOB_WORKFLOW_UPDATE, resource_id_param="uuid")',
        ),
        (
            "from django.db import transaction\nfrom django.utils.decorators import method_decorator",
            "@method_decorator(transaction.atomic)",
        ),
    ],
)
def test_boundary_decorators_protect_the_method(imports, decorator):
    source = view_module(imports, decorator, ["Foo.objects.create(name='x')", "form.save()"])
    assert codes(source) == []


@pytest.mark.parametrize(
    "imports, opening",
    [
        ("from django.db import transaction", "with transaction.atomic(using=get_current_db_name()):"),
        ("from django.db import transaction as tx", "with tx.atomic():"),
        ("from django.db.transaction import atomic as a", "with a():"),
        ("from apps.core.services.transaction_manager import atomic_view_operation as avo", "with avo():"),
        ("from apps.core.services.transaction_manager import signal_aware_transaction as sat", "with sat():"),
        (
            "from apps.core.services.distributed_locks import with_lock_and_transaction",
            "with with_lock_and_transaction(LockRegistry.ATTENDANCE_UPDATE, resource_id_param='uuid'):",
        ),
        ("", "with self.transaction_boundary():"),
        ("from apps.core.services import distributed_locks as dl", "with dl.lock_and_transaction('job', [job.pk]):"),
    ],
)
def test_with_blocks_protect_the_writes_inside_them(imports, opening):
    source = view_module(imports, "", [opening, "    Foo.objects.create(name='x')", "    form.save()"])
    assert codes(source) == []


def test_writes_after_the_with_block_are_reported_alone():
    source = """
    from django.db import transaction

    class FooView(View):
        def handle_valid_form(self, form, request, create):
            with transaction.atomic():
                foo = Foo.objects.create(name="x")
            foo.tags.bulk_create(tags)
    """
    [finding] = analyse(source)
    assert finding.message == "writes (foo.tags.bulk_create) run outside a transaction"


@pytest.mark.parametrize(
    "imports, decorator",
    [
        ("", "@atomic"),
        ("from myproject.helpers import atomic", "@atomic"),
        ("import contextlib", "@contextlib.nullcontext()"),
        ("from django.db import transaction", "@transaction.non_atomic_requests"),
    ],
)
def test_names_that_only_look_like_a_boundary_do_not_protect(imports, decorator):
    source = view_module(imports, decorator, ["form.save()", "Foo.objects.create(name='x')"])
    assert codes(source) == ["TXN001"]


# TXN001: DRF views


@pytest.mark.parametrize(
    "method, body",
    [
        ("perform_create", "serializer.save(author=self.request.user)"),
        ("perform_update", "serializer.save()"),
        ("perform_destroy", "instance.delete()"),
    ],
)
def test_drf_perform_methods_writing_in_a_plain_viewset_are_reported(method, body):
    source = f"""
    from rest_framework import viewsets

    class FooViewSet(viewsets.ModelViewSet):
        def {method}(self, serializer_or_instance):
            {body}
            AuditEntry.objects.create(action="{method}")
    """
    [finding] = analyse(source, "apps/example/api.py")
    assert (finding.code, finding.qualname) == ("TXN001", f"FooViewSet.{method}")
    assert "AtomicModelViewSet" in finding.fix


@pytest.mark.parametrize(
    "bases",
    ["AtomicModelViewSet", "AtomicCreateReadViewSet", "AtomicWriteMixin, viewsets.ModelViewSet"],
)
def test_drf_perform_methods_in_atomic_viewsets_are_protected(bases):
    source = f"""
    class FooViewSet({bases}):
        def perform_create(self, serializer):
            serializer.save(author=self.request.user)
            Audit.objects.create(action="create")

        def perform_destroy(self, instance):
            instance.delete()
    """
    assert codes(source, "apps/example/api.py") == []


def test_drf_view_of_the_same_file_that_wraps_create_protects_perform_create():
    source = """
    from django.db import transaction

    class WrappedCreateMixin:
        def create(self, request, *args, **kwargs):
            with transaction.atomic():
                return super().create(request, *args, **kwargs)

    class FooViewSet(WrappedCreateMixin, viewsets.ModelViewSet):
        def perform_create(self, serializer):
            serializer.save()

        def perform_destroy(self, instance):
            instance.delete()
            AuditEntry.objects.create(action="delete")
    """
    findings = analyse(source, "apps/example/api.py")
    assert [finding.qualname for finding in findings] == ["FooViewSet.perform_destroy"]


def test_drf_perform_method_that_calls_a_service_is_not_reported():
    source = """
    class FooViewSet(viewsets.ModelViewSet):
        def perform_create(self, serializer):
            serializer.instance = create_foo(author=self.request.user, **serializer.validated_data)
    """
    assert codes(source, "apps/example/api.py") == []


# TXN001: service functions

SERVICES = "apps/example/services.py"


def test_service_function_with_two_writes_and_no_boundary_is_reported():
    source = """
    def create_permit(*, author, details):
        permit = WorkPermit.objects.create(author=author)
        WomDetails.objects.bulk_create(WomDetails(permit=permit, **d) for d in details)
        return permit
    """
    [finding] = analyse(source, SERVICES)
    assert (finding.code, finding.qualname, finding.line) == ("TXN001", "create_permit", 2)
    assert finding.message.startswith("writes (WorkPermit.objects.create, WomDetails.objects.bulk_create) run outside")
    assert finding.fix.startswith("decorate the function with @atomic_view_operation()")


def test_service_module_inside_a_services_package_is_a_service_too():
    source = """
    def close(job):
        job.save()
        job.jobneeds.update(status="CLOSED")
    """
    assert codes(source, "apps/example/services/jobs.py") == ["TXN001"]


def test_module_level_functions_outside_services_are_not_entry_points():
    source = """
    def seed(job):
        job.save()
        job.jobneeds.update(status="CLOSED")
    """
    assert codes(source, "apps/example/utils.py") == []


def test_service_function_with_a_single_write_needs_no_boundary():
    source = """
    def rename(bu, name):
        bu.buname = name
        return save_userinfo(bu, None)
    """
    assert codes(source, SERVICES) == []


def test_a_write_in_a_loop_counts_as_several():
    source = """
    def close_all(jobs):
        for job in jobs:
            job.save(update_fields=["status"])
    """
    [finding] = analyse(source, SERVICES)
    assert finding.message.startswith("writes (job.save in a loop) run outside a transaction")


@pytest.mark.parametrize(
    "decorator",
    ["@atomic_view_operation()", "@transaction.atomic", '@transaction.atomic(using="default")', "@avo()"],
)
def test_decorated_service_function_is_protected(decorator):
    source = f"""
    from django.db import transaction
    from apps.core.services.transaction_manager import atomic_view_operation
    from apps.core.services.transaction_manager import atomic_view_operation as avo

    {decorator}
    def create_permit(*, author, details):
        permit = WorkPermit.objects.create(author=author)
        WomDetails.objects.bulk_create(WomDetails(permit=permit, **d) for d in details)
        return permit
    """
    assert codes(source, SERVICES) == []


def test_service_function_with_a_write_outside_its_with_block_is_reported():
    source = """
    def create_permit(*, author):
        with transaction.atomic(using=get_current_db_name()):
            permit = WorkPermit.objects.create(author=author)
            permit.save()
        Audit.objects.create(action="permit")
    """
    [finding] = analyse(source, SERVICES)
    assert finding.message.startswith("writes (Audit.objects.create) run outside")


def test_calling_two_atomic_services_of_the_same_file_is_two_transactions():
    source = """
    @atomic_view_operation()
    def create_client(**fields):
        return save_userinfo(Bt(**fields), None)

    @atomic_view_operation()
    def create_site(**fields):
        return save_userinfo(Bt(**fields), None)

    def create_client_with_site(client_fields, site_fields):
        client = create_client(**client_fields)
        return create_site(parent=client, **site_fields)
    """
    [finding] = analyse(source, SERVICES)
    assert finding.qualname == "create_client_with_site"
    assert "create_client() [own transaction], create_site() [own transaction]" in finding.message


def test_private_helper_called_only_inside_transactions_is_protected():
    source = """
    def _add_details(permit, details):
        WomDetails.objects.bulk_create(WomDetails(permit=permit, **d) for d in details)
        permit.save(update_fields=["detail_count"])

    def _finish(permit):
        _add_details(permit, [])

    @atomic_view_operation()
    def create_permit(details):
        permit = WorkPermit.objects.create()
        _add_details(permit, details)
        _finish(permit)
        return permit
    """
    assert codes(source, SERVICES) == []


def test_private_helper_also_called_outside_a_transaction_is_reported():
    source = """
    def _add_details(permit, details):
        WomDetails.objects.bulk_create(WomDetails(permit=permit, **d) for d in details)
        permit.save(update_fields=["detail_count"])

    @atomic_view_operation()
    def create_permit(details):
        permit = WorkPermit.objects.create()
        _add_details(permit, details)

    def add_details(permit, details):
        return _add_details(permit, details)
    """
    # The public caller is reported too: its two writes are one call away.
    assert [finding.qualname for finding in analyse(source, SERVICES)] == ["_add_details", "add_details"]


def test_private_helper_passed_elsewhere_is_reported():
    source = """
    def _add_details(permit):
        permit.details.bulk_create([])
        permit.save()

    HANDLERS = {"details": _add_details}
    """
    assert codes(source, SERVICES) == ["TXN001"]


def test_function_run_by_transactional_batch_operation_is_protected():
    source = """
    from apps.core.services.transaction_manager import transactional_batch_operation

    def import_row(row):
        person = People.objects.create(**row)
        person.profile.save()

    def import_people(rows):
        return transactional_batch_operation(rows, import_row, batch_size=50)
    """
    assert codes(source, SERVICES) == []


def test_saga_steps_are_protected_by_the_saga():
    source = """
    def reserve_stock(context):
        context["reservation"] = Reservation.objects.create(order=context["order"])
        context["order"].save(update_fields=["status"])

    def release_stock(context):
        context["reservation"].delete()
        context["order"].save(update_fields=["status"])

    def place_order(order):
        saga = TransactionManager("place_order").add_step("reserve", reserve_stock, release_stock)
        return saga.execute({"order": order})
    """
    assert codes(source, SERVICES) == []


# What counts as a write


@pytest.mark.parametrize(
    "statement",
    [
        "data.update(other)",
        "cache.delete(key)",
        "caches['default'].delete(key)",
        "form.save(commit=False)",
        "default_storage.save(name, content)",
        "save_userinfo(foo, request.user, save=False)",
        "serializer.create(validated_data)",
        "Foo.objects.filter(pk=1).exists()",
        "self.kwargs.get('pk')",
    ],
)
def test_calls_that_share_a_name_with_a_write_are_not_writes(statement):
    source = f"""
    class FooView(View):
        def handle_valid_form(self, form, request, create):
            {statement}
    """
    assert codes(source) == []


@pytest.mark.parametrize(
    "statement",
    [
        "Foo.objects.create(name='x')",
        "Foo.objects.filter(pk=1).update(name='x')",
        "Foo.objects.filter(pk=1).delete()",
        "Foo.objects.get_or_create(name='x')",
        "Foo.objects.update_or_create(name='x', defaults={'size': 1})",
        "Foo.objects.bulk_update(foos, ['name'])",
        "foo.save(update_fields=['name'])",
        "super().save(*args, **kwargs)",
        "userinfo.save_userinfo(foo, request.user)",
    ],
)
def test_orm_writes_are_writes(statement):
    source = f"""
    class FooView(View):
        def handle_valid_form(self, form, request, create):
            {statement}
            {statement}
    """
    assert codes(source) == ["TXN001"]


# Nested and async functions


def test_nested_function_called_outside_a_transaction_is_followed():
    source = """
    class FooView(View):
        def handle_valid_form(self, form, request, create):
            def store():
                Foo.objects.create(name="x")
                form.save()
            store()
    """
    [finding] = analyse(source)
    assert finding.message == "writes (Foo.objects.create, form.save) run outside a transaction"


def test_nested_function_called_inside_a_transaction_is_protected():
    source = """
    class FooView(View):
        def handle_valid_form(self, form, request, create):
            def store():
                Foo.objects.create(name="x")
            with transaction.atomic():
                store()
    """
    assert codes(source) == []


def test_nested_function_decorated_with_a_boundary_is_protected():
    source = """
    class FooView(View):
        def handle_valid_form(self, form, request, create):
            @transaction.atomic
            def store():
                Foo.objects.create(name="x")
                form.save()
            store()
    """
    assert codes(source) == []


def test_recursive_nested_function_does_not_hang():
    source = """
    class FooView(View):
        def handle_valid_form(self, form, request, create):
            def walk(node):
                walk(node.parent)
            walk(form)
    """
    assert codes(source) == []


def test_async_handle_valid_form_writing_is_reported_with_an_async_fix():
    source = """
    class FooView(View):
        async def handle_valid_form(self, form, request, create):
            foo = await Foo.objects.acreate(name="x")
            await foo.tags.acreate(name="y")
    """
    [finding] = analyse(source)
    assert finding.code == "TXN001"
    assert finding.message == "writes (Foo.objects.acreate, foo.tags.acreate) run outside a transaction"
    assert "sync_to_async" in finding.fix


def test_async_service_with_two_writes_is_reported():
    source = """
    async def close(job):
        await job.asave()
        await job.jobneeds.aupdate(status="CLOSED")
    """
    [finding] = analyse(source, SERVICES)
    assert "sync_to_async" in finding.fix


def test_async_handle_valid_form_in_an_atomic_form_view_is_protected():
    source = """
    class FooView(AtomicFormView):
        async def handle_valid_form(self, form, request, create):
            await Foo.objects.acreate(name="x")
    """
    assert codes(source) == []


# TXN002: side effects inside a transaction


def test_send_mail_inside_an_atomic_block_is_reported_at_the_call():
    source = """
    from django.core.mail import send_mail
    from django.db import transaction

    def notify(person):
        with transaction.atomic():
            person.save()
            send_mail("Welcome", "Hello", None, [person.email])
    """
    [finding] = analyse(source)
    assert finding.code == "TXN002"
    assert finding.line == line_of(source, "send_mail(")
    assert finding.qualname == "notify"
    assert finding.message.startswith("send_mail() runs inside a transaction")
    assert "transaction.on_commit(lambda: send_mail(...)" in finding.fix


@pytest.mark.parametrize(
    "call, fix",
    [
        ("notify_verifiers.delay(permit.pk)", "transaction.on_commit(lambda: notify_verifiers.delay(...))"),
        (
            "notify_verifiers.apply_async(args=[permit.pk])",
            "transaction.on_commit(lambda: notify_verifiers.apply_async(...))",
        ),
        ("send_welcome_email(permit.author)", "transaction.on_commit(lambda: send_welcome_email(...)"),
        ("mail_admins('Permit', 'created')", "transaction.on_commit(lambda: mail_admins(...)"),
        ("send_mass_mail(messages)", "transaction.on_commit(lambda: send_mass_mail(...)"),
        ("EmailMessage('Permit', 'created', to=[to]).send()", "on_commit(lambda: EmailMessage(...).send(...)"),
        ("current_app.send_task('permits.notify', args=[permit.pk])", "current_app.send_task"),
    ],
)
def test_side_effects_in_an_atomic_service_are_reported(call, fix):
    source = f"""
    from apps.core.services.transaction_manager import atomic_view_operation

    @atomic_view_operation()
    def create_permit(*, author):
        permit = WorkPermit.objects.create(author=author)
        {call}
        return permit
    """
    [finding] = analyse(source, SERVICES)
    assert finding.code == "TXN002"
    assert fix in finding.fix


def test_email_message_sent_through_a_variable_is_reported():
    source = """
    @transaction.atomic
    def create_permit(*, author):
        message = EmailMultiAlternatives("Permit", "created", to=[author.email])
        message.attach_alternative("<p>created</p>", "text/html")
        message.send()
    """
    assert codes(source, SERVICES) == ["TXN002"]


def test_side_effects_in_handle_valid_form_of_an_atomic_form_view_are_reported():
    source = """
    class FooView(AtomicFormView):
        def handle_valid_form(self, form, request, create):
            foo = create_foo(**form.cleaned_data)
            notify.delay(foo.pk)
            return JsonResponse({"pk": foo.pk})
    """
    assert codes(source) == ["TXN002"]


@pytest.mark.parametrize(
    "statement",
    [
        "transaction.on_commit(lambda: send_mail('Permit', 'created', None, [to]))",
        "transaction.on_commit(partial(send_mail, 'Permit', 'created', None, [to]))",
        "notify_verifiers.delay_on_commit(permit.pk)",
        "notify_verifiers.apply_async_on_commit(args=[permit.pk])",
        "permit_created.send(sender=WorkPermit, permit=permit)",
        "on_commit(lambda: notify_verifiers.delay(permit.pk))",
    ],
)
def test_side_effects_scheduled_after_commit_are_fine(statement):
    source = f"""
    @atomic_view_operation()
    def create_permit(*, author, to):
        permit = WorkPermit.objects.create(author=author)
        {statement}
    """
    assert codes(source, SERVICES) == []


def test_nested_function_passed_to_on_commit_may_send():
    source = """
    @atomic_view_operation()
    def create_permit(*, author):
        permit = WorkPermit.objects.create(author=author)

        def notify():
            send_mail("Permit", "created", None, [author.email])
            notify_verifiers.delay(permit.pk)

        transaction.on_commit(notify)
        return permit
    """
    assert codes(source, SERVICES) == []


def test_nested_function_called_inside_a_transaction_may_not_send():
    source = """
    @atomic_view_operation()
    def create_permit(*, author):
        def notify():
            send_mail("Permit", "created", None, [author.email])
        notify()
    """
    assert codes(source, SERVICES) == ["TXN002"]


def test_side_effects_outside_any_transaction_are_fine():
    source = """
    def remind(person):
        send_mail("Reminder", "Hello", None, [person.email])
        remind_again.delay(person.pk)
    """
    assert codes(source, "apps/example/tasks.py") == []


# TXN003: transactions in signal receivers


def test_atomic_block_in_a_receiver_is_reported():
    source = """
    from django.db import transaction
    from django.db.models.signals import post_save
    from django.dispatch import receiver

    @receiver(post_save, sender=People)
    def create_profile(sender, instance, created, **kwargs):
        with transaction.atomic():
            PeopleProfile.objects.create(people=instance)
    """
    [finding] = analyse(source, "apps/example/signals.py")
    assert (finding.code, finding.qualname) == ("TXN003", "create_profile")
    assert finding.line == line_of(source, "with transaction.atomic")
    assert "transaction.atomic" in finding.message


def test_receiver_connected_by_hand_is_a_receiver_too():
    source = """
    from apps.core.services.transaction_manager import atomic_view_operation as avo

    def create_profile(sender, instance, created, **kwargs):
        with avo():
            PeopleProfile.objects.create(people=instance)

    post_save.connect(create_profile, sender=People)
    """
    assert codes(source, "apps/example/signals.py") == ["TXN003"]


def test_receiver_decorated_with_a_boundary_is_reported():
    source = """
    import django.dispatch

    @django.dispatch.receiver(post_save, sender=People)
    @transaction.atomic
    def create_profile(sender, instance, created, **kwargs):
        PeopleProfile.objects.create(people=instance)
    """
    assert codes(source, "apps/example/signals.py") == ["TXN003"]


def test_receiver_without_a_transaction_and_other_functions_with_one_are_fine():
    source = """
    @receiver(post_save, sender=People)
    def create_profile(sender, instance, created, **kwargs):
        PeopleProfile.objects.create(people=instance)
        transaction.on_commit(lambda: welcome.delay(instance.pk))

    @receiver(post_save, sender=People)
    def index(sender, instance, **kwargs):
        def later():
            with transaction.atomic():
                SearchEntry.objects.create(people=instance)
        transaction.on_commit(later)

    def rebuild():
        with transaction.atomic():
            SearchEntry.objects.all().delete()

    psycopg.connect(dsn)
    """
    assert codes(source, "apps/example/signals.py") == []


# TXN004: locks without a timeout


@pytest.mark.parametrize(
    "statement",
    [
        "lock.acquire()",
        "self._lock.acquire()",
        "threading.Lock().acquire()",
        "redis_client.lock('job:1')",
        "cache.lock('job:1', timeout=None)",
        "redis_client.lock('job:1', timeout=30).acquire()",
        "cursor.execute('SELECT pg_advisory_lock(%s)', [key])",
        "cursor.execute(f'SELECT pg_advisory_lock_shared({key})')",
        "connection.cursor().execute(LOCK_SQL, [key])",
    ],
)
def test_locks_without_a_timeout_are_reported(statement):
    source = f"""
    LOCK_SQL = "SELECT pg_advisory_lock(%s)"

    def update_job(job, key):
        {statement}
    """
    findings = analyse(source, "apps/example/locks.py")
    assert {finding.code for finding in findings} == {"TXN004"}
    assert {finding.line for finding in findings} == {line_of(source, statement)}


@pytest.mark.parametrize(
    "statement",
    [
        "lock.acquire(timeout=5)",
        "lock.acquire(blocking=False)",
        "lock.acquire(False)",
        "lock.acquire(True, 5)",
        "redis_client.lock('job:1', timeout=30, blocking_timeout=5).acquire()",
        "redis_client.lock('job:1', 30)",
        "redis_client.lock('job:1', **options)",
        "threading.Lock()",
        "LockRegistry.get_lock(LockRegistry.JOB_WORKFLOW_UPDATE, job.pk)",
        "LockRegistry.get_lock(LockRegistry.JOB_WORKFLOW_UPDATE, job.pk).acquire()",
        "RedisLock(key, spec).acquire()",
        "cursor.execute('SELECT pg_advisory_xact_lock(%s)', [key])",
        "cursor.execute('SELECT pg_try_advisory_lock(%s)', [key])",
        "self.clock.acquire()",
        "semaphore_count.update(x)",
    ],
)
def test_bounded_locks_and_lookalikes_are_fine(statement):
    source = f'''
    def update_job(job, key):
        """Never call pg_advisory_lock(1) here: it outlives the transaction."""
        {statement}
    '''
    assert codes(source, "apps/example/locks.py") == []


def test_lock_from_the_project_registry_may_be_acquired_through_a_variable():
    source = """
    def update_job(job):
        lock = LockRegistry.get_lock(LockRegistry.JOB_WORKFLOW_UPDATE, job.pk)
        lock.acquire()
        other = redis_client.lock("x", timeout=10, blocking_timeout=3)
        other.acquire()
    """
    assert codes(source, "apps/example/locks.py") == []


def test_lock_findings_name_the_enclosing_scope():
    source = """
    lock.acquire()

    class Worker:
        def run(self):
            self.lock.acquire()
    """
    findings = analyse(source, "apps/example/locks.py")
    assert [(finding.line, finding.qualname) for finding in findings] == [(2, ""), (6, "Worker.run")]
    assert "timeout=10" in findings[0].fix


# Suppressions


def test_suppression_with_a_reason_silences_the_rule_on_its_line():
    source = """
    class FooView(View):
        def handle_valid_form(self, form, request, create):  # txn: ignore[TXN001] legacy import view, see #42
            Foo.objects.create(name="x")
    """
    assert codes(source) == []


def test_suppression_without_a_reason_is_reported():
    source = """
    class FooView(View):
        def handle_valid_form(self, form, request, create):  # txn: ignore[TXN001]
            Foo.objects.create(name="x")
    """
    [finding] = analyse(source)
    assert finding.code == "TXN005"
    assert finding.message == "suppression without a reason (silences TXN001)"
    assert finding.qualname == "FooView.handle_valid_form"


@pytest.mark.parametrize("comment", ["# txn: ignore", "# txn: ignore[TXN009] typo", "# txn: ignore[] why"])
def test_suppression_that_names_no_known_rule_is_reported(comment):
    source = f"""
    def f():
        pass  {comment}
    """
    assert codes(source) == ["TXN005"]


def test_suppression_lists_several_rules():
    source = """
    @atomic_view_operation()
    def create(lock):
        lock.acquire(); send_mail("a", "b", None, [])  # txn: ignore[TXN002, TXN004] test double, nothing is sent
    """
    assert codes(source, SERVICES) == []


def test_suppression_of_another_rule_or_line_does_not_apply():
    source = """
    class FooView(View):
        # txn: ignore[TXN001] the comment is on the wrong line
        def handle_valid_form(self, form, request, create):  # txn: ignore[TXN002] wrong rule
            Foo.objects.create(name="x")
            form.save()
    """
    assert codes(source) == ["TXN001"]


def test_suppression_text_inside_a_string_is_not_a_suppression():
    source = """
    HELP = "write # txn: ignore[TXN001] with a reason"

    class FooView(View):
        def handle_valid_form(self, form, request, create):
            return "# txn: ignore"
    """
    assert codes(source) == []


# Files that do not parse


def test_syntax_error_is_a_finding_not_a_traceback():
    [finding] = analyse_source("def broken(:\n    pass\n", "apps/example/broken.py")
    assert finding.code == "TXN000"
    assert finding.line == 1
    assert finding.message.startswith("could not parse apps/example/broken.py:1: ")


def test_null_bytes_are_a_finding_not_a_traceback():
    [finding] = analyse_source("x = 1\0\n", "apps/example/binary.py")
    assert finding.code == "TXN000"


def test_code_nested_too_deeply_is_a_finding_not_a_traceback():
    [finding] = analyse_source("x = " + "-" * 5000 + "1\n", "apps/example/deep.py")
    assert finding.code == "TXN000"


def test_unreadable_file_is_a_finding(tmp_path):
    (tmp_path / "latin.py").write_bytes(b"NAME = '\xe9t\xe9'\n")
    report = analyse_paths([tmp_path], root=tmp_path)
    [finding] = report.findings
    assert (finding.code, finding.path) == ("TXN000", "latin.py")
    assert finding.message.startswith("could not read latin.py")


# Reports over files


def write(path, source):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


PROTECTED_AND_UNPROTECTED = """
class GoodView(AtomicFormView):
    def handle_valid_form(self, form, request, create):
        form.save()

class BadView(View):
    def handle_valid_form(self, form, request, create):
        form.save()
        Foo.objects.create(name="x")
"""


def test_report_lists_files_and_write_entry_points_for_coverage(tmp_path):
    write(tmp_path / "apps" / "shop" / "views.py", PROTECTED_AND_UNPROTECTED)
    write(tmp_path / "apps" / "shop" / "services.py", "@atomic_view_operation()\ndef buy(item):\n    item.save()\n")
    write(tmp_path / "apps" / "shop" / "__pycache__" / "skipped.py", "def broken(:\n")
    write(tmp_path / ".venv" / "lib" / "skipped.py", "def broken(:\n")

    report = analyse_paths([tmp_path / "apps"], root=tmp_path)

    assert report.files == ["apps/shop/services.py", "apps/shop/views.py"]
    assert [finding.location for finding in report.findings] == ["apps/shop/views.py:7"]
    summary = [(entry.qualname, entry.protected, entry.boundary) for entry in report.entry_points]
    assert summary == [
        ("buy", True, "decorator"),
        ("GoodView.handle_valid_form", True, "base class AtomicFormView"),
        ("BadView.handle_valid_form", False, "none"),
    ]
    assert report.coverage == {"entry_points": 3, "protected": 2, "unprotected": 1, "percent": 66.7}
    assert json.loads(json.dumps(report.as_dict()))["coverage"]["percent"] == 66.7


def test_suppressed_entry_point_counts_as_unprotected_with_its_reason(tmp_path):
    write(
        tmp_path / "views.py",
        """
        class BadView(View):
            def handle_valid_form(self, form, request, create):  # txn: ignore[TXN001] tested on its own
                form.save()
                Foo.objects.create(name="x")
        """,
    )
    report = analyse_paths([tmp_path / "views.py"], root=tmp_path)
    assert report.findings == []
    [entry] = report.entry_points
    assert (entry.protected, entry.boundary) == (False, "suppressed: tested on its own")


def test_format_report_prints_blocks_and_a_summary():
    findings = analyse(UNPROTECTED_FORM_VIEW) + analyse_source("def broken(:\n", "apps/other.py")
    text = format_report(findings)
    assert text.startswith("apps/example/views.py:")
    assert "\n\napps/other.py:1: TXN000\n" in text
    assert text.endswith("\n\n2 transaction issue(s) in 2 file(s)")
    assert format_report([]) == "No transaction issues found."


def test_finding_is_a_plain_value():
    finding = Finding("TXN001", "a.py", 3, "f", "message", "fix")
    assert finding.location == "a.py:3"
    assert finding == Finding("TXN001", "a.py", 3, "f", "message", "fix")


# The command line


def test_main_exits_1_and_prints_the_report_when_there_are_findings(tmp_path, capsys, monkeypatch):
    write(tmp_path / "views.py", PROTECTED_AND_UNPROTECTED)
    monkeypatch.chdir(tmp_path)
    assert main(["views.py"]) == 1
    out = capsys.readouterr().out
    assert "views.py:7: TXN001 in BadView.handle_valid_form" in out
    assert out.rstrip().endswith("1 transaction issue(s) in 1 file(s)")


def test_main_exits_0_when_clean(tmp_path, capsys, monkeypatch):
    write(tmp_path / "views.py", "class GoodView(AtomicFormView):\n    pass\n")
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "README.md", "# not Python\n")
    assert main(["views.py", "README.md"]) == 0
    assert capsys.readouterr().out == "Transaction usage: 1 file(s) checked, no issues.\n"


def test_main_reads_nul_separated_paths_from_stdin(tmp_path, capsys, monkeypatch):
    write(tmp_path / "my views.py", PROTECTED_AND_UNPROTECTED)
    write(tmp_path / "clean.py", "x = 1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("my views.py\0clean.py\0"))
    assert main(["--stdin-list"]) == 1
    assert "my views.py:7: TXN001" in capsys.readouterr().out


def test_main_reports_a_syntax_error_without_a_traceback(tmp_path, capsys, monkeypatch):
    write(tmp_path / "broken.py", "def broken(:\n")
    monkeypatch.chdir(tmp_path)
    assert main(["broken.py"]) == 1
    out = capsys.readouterr().out
    assert "broken.py:1: TXN000" in out
    assert "Traceback" not in out


def test_main_prints_json_with_coverage(tmp_path, capsys, monkeypatch):
    write(tmp_path / "views.py", PROTECTED_AND_UNPROTECTED)
    monkeypatch.chdir(tmp_path)
    assert main(["--json", "views.py"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["coverage"]["percent"] == 50.0
    assert data["findings"][0]["code"] == "TXN001"


# The analyser and the project


def test_analyser_imports_without_django():
    """The pre-commit hook runs it with the system Python, where Django may not be installed."""
    code = "import sys, apps.core.analysis.transaction_usage; assert 'django' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True)


def _suppression_comments(path):
    with tokenize.open(path) as handle:
        tokens = tokenize.generate_tokens(handle.readline)
        return [token.start[0] for token in tokens if token.type == tokenize.COMMENT and "txn:" in token.string]


def test_project_passes_its_own_transaction_rules_without_suppressions():
    report = analyse_paths([PROJECT_ROOT / "apps"], root=PROJECT_ROOT)
    assert report.findings == [], format_report(report.findings)
    suppressed = [f"{path}:{line}" for path in report.files for line in _suppression_comments(PROJECT_ROOT / path)]
    assert suppressed == []
