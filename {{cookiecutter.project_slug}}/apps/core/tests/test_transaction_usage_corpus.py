"""The analyser over small multi-file Django codebases: what it must find and the near misses it must not.

Each corpus is a tree of modules written the way large Django projects write them. A line that
must be reported ends with ``# expect: CODE``; every other line must stay silent. The tests compare
the whole set, so a missed case and a false alarm both fail. No Django is needed: the analyser
reads source text only.
"""

import json
import re
import sys
import textwrap

import pytest

from apps.core.analysis.transaction_usage import analyse_paths, main

_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>TXN\d{3}(?:\s*,\s*TXN\d{3})*)")


def build(tmp_path, files, pyproject=None):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(textwrap.dedent(pyproject))
    return tmp_path


def expected(files):
    found = set()
    for name, text in files.items():
        for number, line in enumerate(textwrap.dedent(text).splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                found.update((name, number, code.strip()) for code in match["codes"].split(","))
    return found


def analysed(tmp_path, files, pyproject=None):
    build(tmp_path, files, pyproject)
    report = analyse_paths([tmp_path], root=tmp_path)
    return report, {(finding.path, finding.line, finding.code) for finding in report.findings}


def assert_corpus(tmp_path, files, pyproject=None):
    report, found = analysed(tmp_path, files, pyproject)
    want = expected(files)
    details = "\n\n".join(finding.format() for finding in report.findings)
    assert found == want, f"missed: {sorted(want - found)}\nfalse alarms: {sorted(found - want)}\n\n{details}"
    return report


def finding_at(report, path, line_text, files):
    number = next(i for i, line in enumerate(textwrap.dedent(files[path]).splitlines(), start=1) if line_text in line)
    return next(finding for finding in report.findings if finding.path == path and finding.line == number)


# Boundary helpers: detected in the tree, in decorator and ``with`` form, or declared.

HELPERS = {
    "billing/__init__.py": "",
    "billing/db.py": """
        import functools
        from contextlib import contextmanager

        from django.db import transaction


        @contextmanager
        def traced_atomic(name, using=None):
            with transaction.atomic(using=using):
                yield


        def atomic_job(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                with transaction.atomic():
                    return func(*args, **kwargs)

            return wrapper


        def on_ledger(name):
            def decorate(func):
                @functools.wraps(func)
                def inner(*args, **kwargs):
                    with traced_atomic(name, using="ledger"):
                        return func(*args, **kwargs)

                return inner

            return decorate


        class LedgerTransaction:
            def __enter__(self):
                self._atomic = transaction.atomic(using="ledger")
                return self._atomic.__enter__()

            def __exit__(self, *exc):
                return self._atomic.__exit__(*exc)


        def replica_reads():
            return transaction.atomic(using="replica", savepoint=False)


        @contextmanager
        def timed(name):
            with transaction.atomic():
                mark_started(name)
            yield


        def logged(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                with transaction.atomic():
                    write_audit(func.__name__)
                return func(*args, **kwargs)

            return wrapper
    """,
    "billing/services.py": """
        from django.core.mail import send_mail

        from billing.db import LedgerTransaction, atomic_job, logged, on_ledger, replica_reads, timed, traced_atomic
        from billing.models import Invoice, InvoiceLine
        from billing.tasks import charge_card, export_invoices


        def charge(invoice):
            with traced_atomic("charge"):
                invoice.status = "charged"
                invoice.save(update_fields=["status"])
                charge_card.delay(invoice.pk)  # expect: TXN002


        @traced_atomic("refund")
        def refund(invoice):
            invoice.lines.update(refunded=True)
            invoice.save(update_fields=["refunded"])
            charge_card.apply_async(args=[invoice.pk], countdown=5)  # expect: TXN002


        @atomic_job
        def close_month(month):
            Invoice.objects.filter(month=month).update(closed=True)
            InvoiceLine.objects.filter(invoice__month=month).update(locked=True)
            send_mail("Month closed", str(month), None, ["finance@example.com"])  # expect: TXN002


        @on_ledger("post")
        def post_to_ledger(invoice):
            invoice.post()
            charge_card.delay(invoice.pk)  # expect: TXN002


        def settle(invoice):
            with LedgerTransaction():
                invoice.save()
                charge_card.delay(invoice.pk)  # expect: TXN002


        def export(month):
            with replica_reads():
                ids = list(Invoice.objects.filter(month=month).values_list("pk", flat=True))
                export_invoices.delay(ids)


        def stamp(invoice):
            with timed("stamp"):
                pass
            invoice.save()
            charge_card.delay(invoice.pk)


        @logged
        def issue(invoice):  # expect: TXN001
            invoice.save()
            InvoiceLine.objects.filter(invoice=invoice).update(issued=True)


        def split(invoice, parts):
            with traced_atomic("split"):
                invoice.save()
                InvoiceLine.objects.bulk_create(parts)
    """,
}


def test_boundary_helpers_of_the_tree_are_recognised_in_both_forms(tmp_path):
    assert_corpus(tmp_path, HELPERS)


DECLARED = {
    "orders/__init__.py": "",
    "orders/services.py": """
        from vendorlib.db import unit_of_work

        from orders.models import Order, OrderLine
        from orders.tasks import notify


        def place(cart):
            with unit_of_work():
                order = Order.objects.create(customer=cart.customer)
                OrderLine.objects.bulk_create(cart.lines(order))
                notify.delay(order.pk)  # expect: TXN002
    """,
}


def test_boundary_helpers_declared_in_pyproject_are_boundaries(tmp_path):
    pyproject = """
        [tool.transaction-usage]
        boundary-helpers = ["vendorlib.db.unit_of_work"]
    """
    assert_corpus(tmp_path, DECLARED, pyproject)


def test_an_undeclared_helper_from_outside_the_tree_is_no_boundary(tmp_path):
    files = {name: text.replace("  # expect: TXN002", "") for name, text in DECLARED.items()}
    files["orders/services.py"] = files["orders/services.py"].replace(
        "def place(cart):", "def place(cart):  # expect: TXN001"
    )
    assert_corpus(tmp_path, files)


# One level of calls: same module, imported from another module, self. and cls.

CALLS = {
    "shop/__init__.py": "",
    "shop/notifications.py": """
        from django.db import transaction

        from shop.tasks import send_receipt


        def notify_customer(order):
            send_receipt.delay(order.pk)


        def schedule_receipt(order):
            transaction.on_commit(lambda: send_receipt.delay(order.pk))
    """,
    "shop/services.py": """
        from django.db import transaction

        from shop import notifications
        from shop.models import Order, Payment
        from shop.notifications import notify_customer, schedule_receipt
        from shop.tasks import send_receipt
        from thirdparty.mailer import notify_finance


        def _announce(order):
            send_receipt.delay(order.pk)


        def checkout(cart):
            with transaction.atomic():
                order = Order.objects.create(customer=cart.customer)
                Payment.objects.create(order=order, amount=cart.total)
                _announce(order)  # expect: TXN002
                notify_customer(order)  # expect: TXN002
                notifications.notify_customer(order)  # expect: TXN002
                schedule_receipt(order)
                notify_finance(order)
            _announce(order)
            return order


        class OrderWorkflow:
            def ship(self, order):
                with transaction.atomic():
                    order.status = "shipped"
                    order.save(update_fields=["status"])
                    self._publish(order)  # expect: TXN002

            def _publish(self, order):
                send_receipt.delay(order.pk)

            @classmethod
            def cancel(cls, order):
                with transaction.atomic():
                    order.delete()
                    cls._refund(order)  # expect: TXN002

            @classmethod
            def _refund(cls, order):
                send_receipt.apply_async(args=[order.pk])


        class Unrelated:
            def _publish(self, order):
                return order
    """,
    "shop/base.py": """
        from shop.tasks import send_receipt


        class OrderMutation:
            def post_save_action(self, order):
                send_receipt.delay(order.pk)
    """,
    "shop/mutations.py": """
        from django.db import transaction

        from shop.base import OrderMutation


        class OrderConfirm(OrderMutation):
            def perform(self, order):
                with transaction.atomic():
                    order.save(update_fields=["status"])
                    self.post_save_action(order)  # expect: TXN002
                self.post_save_action(order)
    """,
    "shop/views.py": """
        from django.views import View

        from shop.models import Order, OrderNote
        from shop.services import checkout


        class NoteView(View):
            def handle_valid_form(self, form, request, create):  # expect: TXN001
                return self._store(form)

            def _store(self, form):
                order = Order.objects.get(pk=form.cleaned_data["order"])
                OrderNote.objects.create(order=order, text=form.cleaned_data["text"])
                order.save(update_fields=["noted"])


        class CheckoutView(View):
            def handle_valid_form(self, form, request, create):
                return checkout(form.cart)
    """,
}


def test_calls_are_followed_one_level_in_all_four_shapes(tmp_path):
    assert_corpus(tmp_path, CALLS)


def test_a_finding_one_call_away_names_both_lines(tmp_path):
    report = assert_corpus(tmp_path, CALLS)
    finding = finding_at(report, "shop/services.py", "        notify_customer(order)  # expect", CALLS)
    assert "shop/notifications.py:8" in finding.message
    assert "notify_customer() -> send_receipt.delay()" in finding.message
    [txn001] = [f for f in report.findings if f.code == "TXN001"]
    assert "self._store() -> OrderNote.objects.create at shop/views.py:14" in txn001.message


# Signals: a save whose receivers write is more than one write.

SIGNALS = {
    "members/__init__.py": "",
    "members/signals.py": """
        from django.db import transaction
        from django.db.models.signals import post_save, pre_save
        from django.dispatch import receiver

        from members.models import Invoice, Member, MemberProfile, Subscription, SubscriptionHistory, Team
        from members.tasks import welcome


        @receiver(post_save, sender=Member)
        def create_profile(sender, instance, created, **kwargs):
            if created:
                MemberProfile.objects.create(member=instance)


        @receiver(pre_save, sender=Invoice)
        def number_invoice(sender, instance, **kwargs):
            instance.number = instance.number or f"INV-{instance.pk}"


        @receiver(post_save, sender=Subscription)
        def record_plan_change(sender, instance, **kwargs):
            SubscriptionHistory.objects.create(subscription=instance, plan=instance.plan)


        def announce_team(sender, instance, created, **kwargs):
            transaction.on_commit(lambda: welcome.delay(instance.pk))


        post_save.connect(announce_team, sender=Team)
    """,
    "members/views.py": """
        from django.db import transaction
        from django.utils.decorators import method_decorator
        from django.views import View
        from django.views.generic import CreateView, FormView, UpdateView

        from apps.core.views.forms import AtomicFormView
        from members.models import Invoice, Member, Subscription, Team


        class JoinView(View):
            def handle_valid_form(self, form, request, create):  # expect: TXN001
                return Member.objects.create(email=form.cleaned_data["email"])


        class InviteView(FormView):
            def form_valid(self, form):  # expect: TXN001
                member = Member(email=form.cleaned_data["email"], invited_by=self.request.user)
                member.save()
                return super().form_valid(form)


        class InvoiceView(View):
            def handle_valid_form(self, form, request, create):
                return Invoice.objects.create(amount=form.cleaned_data["amount"])


        class TeamView(View):
            def handle_valid_form(self, form, request, create):
                return Team.objects.create(name=form.cleaned_data["name"])


        class AtomicJoinView(AtomicFormView):
            def handle_valid_form(self, form, request, create):
                return Member.objects.create(email=form.cleaned_data["email"])


        class DeactivateView(View):
            def handle_valid_form(self, form, request, create):
                return Member.objects.filter(pk=form.cleaned_data["member"]).update(active=False)


        class MemberCreateView(CreateView):  # expect: TXN001
            model = Member
            fields = ["email"]


        class MemberUpdateView(UpdateView):
            queryset = Member.objects.filter(active=True)

            def form_valid(self, form):
                form.instance.modified_by = self.request.user
                return super().form_valid(form)


        @method_decorator(transaction.atomic, name="post")
        class AtomicMemberCreateView(CreateView):
            model = Member
            fields = ["email"]


        class TeamCreateView(CreateView):
            model = Team
            fields = ["name"]


        class InvoiceUpdateView(UpdateView):
            model = Invoice

            def form_valid(self, form):
                return super().form_valid(form)


        class SubscriptionUpdateView(UpdateView):  # expect: TXN001
            model = Subscription
            fields = ["plan"]
    """,
    "members/serializers.py": """
        from rest_framework import serializers

        from members.models import Member, Subscription, Team


        class MemberSerializer(serializers.ModelSerializer):
            class Meta:
                model = Member
                fields = ["email"]


        class TeamSerializer(serializers.ModelSerializer):
            class Meta:
                model = Team
                fields = ["name"]


        class SubscriptionSerializer(serializers.ModelSerializer):
            class Meta:
                model = Subscription
                fields = ["plan"]
    """,
    "members/api.py": """
        from rest_framework import generics, viewsets

        from apps.core.api.viewsets import AtomicModelViewSet
        from members.serializers import MemberSerializer, SubscriptionSerializer, TeamSerializer


        class MemberViewSet(viewsets.ModelViewSet):  # expect: TXN001
            serializer_class = MemberSerializer


        class TeamViewSet(viewsets.ModelViewSet):
            serializer_class = TeamSerializer


        class AtomicMemberViewSet(AtomicModelViewSet):
            serializer_class = MemberSerializer


        class InviteViewSet(viewsets.ModelViewSet):
            serializer_class = MemberSerializer

            def perform_create(self, serializer):  # expect: TXN001
                serializer.save(invited_by=self.request.user)


        class SubscriptionPlanView(generics.UpdateAPIView):  # expect: TXN001
            serializer_class = SubscriptionSerializer
    """,
}


def test_a_save_whose_receivers_write_counts_as_several_writes(tmp_path):
    report = assert_corpus(tmp_path, SIGNALS)
    finding = next(f for f in report.findings if f.qualname == "JoinView.handle_valid_form")
    assert "create_profile at members/signals.py:11" in finding.message


# Aliases and intent: replicas, savepoint=False, another alias.

ALIASES = {
    "ledger/__init__.py": "",
    "ledger/services.py": """
        from django.db import router, transaction

        from ledger.models import Balance, Entry, Statement
        from ledger.tasks import export_statement, notify_owner


        def export(account):
            with transaction.atomic(using="replica", savepoint=False):
                ids = list(Statement.objects.using("replica").filter(account=account).values_list("pk", flat=True))
                export_statement.delay(ids)
            with transaction.atomic(using=router.db_for_read(Statement)):
                export_statement.delay([account.pk])
            with transaction.atomic(using="analytics"):
                export_statement.delay([account.pk])


        def close(account):
            with transaction.atomic(using="default"):
                account.closed = True
                account.save(update_fields=["closed"])
                notify_owner.delay(account.pk)  # expect: TXN002


        def post_entry(account, amount):  # expect: TXN001
            with transaction.atomic(using="default"):
                Entry.objects.using("ledger").create(account=account, amount=amount)
                Balance.objects.using("ledger").filter(account=account).update(stale=True)


        def post_entry_on_ledger(account, amount):
            with transaction.atomic(using="ledger"):
                Entry.objects.using("ledger").create(account=account, amount=amount)
                Balance.objects.using("ledger").filter(account=account).update(stale=True)
    """,
    "ledger/signals.py": """
        from django.db import transaction
        from django.db.models.signals import post_save
        from django.dispatch import receiver

        from ledger.models import Account, AccountHistory, Entry


        @receiver(post_save, sender=Entry)
        def record_history(sender, instance, using, **kwargs):
            with transaction.atomic(using=using, savepoint=False):
                AccountHistory.objects.using(using).create(account=instance.account)
                Account.objects.using(using).filter(pk=instance.account_id).update(touched=True)


        @receiver(post_save, sender=Account)
        def refresh_totals(sender, instance, **kwargs):
            with transaction.atomic():  # expect: TXN003
                AccountHistory.objects.create(account=instance)
    """,
}


def test_replica_blocks_joins_and_other_aliases_are_understood(tmp_path):
    pyproject = """
        [tool.transaction-usage]
        read-aliases = ["analytics"]
    """
    assert_corpus(tmp_path, ALIASES, pyproject)


# Entry points: form views, generic views, DRF, function views, services.

ENTRY_POINTS = {
    "sites/__init__.py": "",
    "sites/views.py": """
        from django.db import transaction
        from django.views.generic import CreateView, FormView, UpdateView

        from apps.core.views.forms import AtomicFormView
        from sites.models import Site, SiteAudit, Vendor
        from sites.services import register_vendor


        class SiteFormView(FormView):
            def form_valid(self, form):  # expect: TXN001
                site = Site.objects.create(name=form.cleaned_data["name"])
                SiteAudit.objects.create(site=site, action="created")
                return super().form_valid(form)


        class SiteCreateView(CreateView):
            model = Site

            def form_valid(self, form):  # expect: TXN001
                response = super().form_valid(form)
                SiteAudit.objects.create(site=self.object, action="created")
                return response


        class SiteUpdateView(UpdateView):
            model = Site

            def form_valid(self, form):
                form.instance.modified_by = self.request.user
                return super().form_valid(form)


        class VendorView(AtomicFormView):
            service_takes_locks = True

            def handle_valid_form(self, form, request, create):  # expect: TXN001
                vendor = Vendor.objects.create(name=form.cleaned_data["name"])
                Vendor.objects.filter(pk=vendor.pk).update(code=f"V{vendor.pk}")
                return vendor


        class LockedVendorView(AtomicFormView):
            service_takes_locks = True

            def handle_valid_form(self, form, request, create):
                return register_vendor(**form.cleaned_data)


        class PlainVendorView(AtomicFormView):
            def handle_valid_form(self, form, request, create):
                vendor = Vendor.objects.create(name=form.cleaned_data["name"])
                Vendor.objects.filter(pk=vendor.pk).update(code=f"V{vendor.pk}")
                return vendor


        def rename_site(request, pk):  # expect: TXN001
            site = Site.objects.get(pk=pk)
            site.name = request.POST["name"]
            site.save(update_fields=["name"])
            SiteAudit.objects.create(site=site, action="renamed")


        class SiteSettingsView(FormView):
            def form_valid(self, form):
                context = {"site": form.cleaned_data["site"]}
                context.update(saved=True)
                self.request.session.update(last_site=form.cleaned_data["site"].pk)
                form.save()
                return super().form_valid(form)


        def archive_stale_sites(request):  # expect: TXN001
            stale = Site.objects.filter(enabled=False)
            stale.update(archived=True)
            SiteAudit.objects.create(action="archived stale sites")


        def toggle_site(request, pk):
            if request.POST.get("enable"):
                Site.objects.filter(pk=pk).update(enabled=True)
            else:
                Site.objects.filter(pk=pk).update(enabled=False)


        @transaction.atomic
        def archive_site(request, pk):
            Site.objects.filter(pk=pk).update(archived=True)
            SiteAudit.objects.create(site_id=pk, action="archived")
    """,
    "sites/api.py": """
        from rest_framework import viewsets
        from rest_framework.decorators import action, api_view

        from sites.models import Site, SiteAudit


        class SiteViewSet(viewsets.ModelViewSet):
            def perform_create(self, serializer):  # expect: TXN001
                site = serializer.save(owner=self.request.user)
                SiteAudit.objects.create(site=site, action="created")

            def perform_update(self, serializer):
                serializer.save()

            def perform_destroy(self, instance):
                instance.delete()

            @action(detail=True, methods=["post"])
            def reopen(self, request, pk=None):  # expect: TXN001
                site = self.get_object()
                site.save(update_fields=["closed"])
                SiteAudit.objects.create(site=site, action="reopened")


        @api_view(["POST"])
        def close_site(request, pk):  # expect: TXN001
            Site.objects.filter(pk=pk).update(closed=True)
            SiteAudit.objects.create(site_id=pk, action="closed")
    """,
    "sites/services.py": """
        from apps.core.services.distributed_locks import with_lock_and_transaction
        from sites.models import Vendor, VendorContact


        @with_lock_and_transaction("VENDOR", resource_id_param="name")
        def register_vendor(*, name, contact):
            vendor = Vendor.objects.create(name=name)
            VendorContact.objects.create(vendor=vendor, email=contact)
            return vendor


        def add_contact(vendor, email):
            return VendorContact.objects.create(vendor=vendor, email=email)


        def merge_vendors(keep, drop):  # expect: TXN001
            VendorContact.objects.filter(vendor=drop).update(vendor=keep)
            drop.delete()
    """,
}


def test_entry_points_with_two_writes_need_a_boundary_and_one_plain_write_does_not(tmp_path):
    assert_corpus(tmp_path, ENTRY_POINTS)


# Celery: canvas, signatures, send_task, and on_commit given a call instead of a callable.

CELERY = {
    "reports/__init__.py": "",
    "reports/services.py": """
        from functools import partial

        from celery import chain, chord, group, signature
        from django.db import transaction

        from config.celery import app
        from reports.models import Report
        from reports.pipeline import chain as local_chain
        from reports.tasks import collect, notify, render, summarise


        def build(report_ids):
            with transaction.atomic():
                Report.objects.filter(pk__in=report_ids).update(state="queued")
                chain(collect.s(report_ids), render.s())()  # expect: TXN002
                group(render.s(pk) for pk in report_ids)()  # expect: TXN002
                chord([render.s(pk) for pk in report_ids])(summarise.s())  # expect: TXN002
                render.s(report_ids[0]).apply_async(countdown=10)  # expect: TXN002
                signature("reports.render", args=(1,)).delay()  # expect: TXN002
                app.send_task("reports.collect", args=[report_ids])  # expect: TXN002
                local_chain([len, sum])(report_ids)
                transaction.on_commit(lambda: chain(collect.s(report_ids), render.s())())
                transaction.on_commit(partial(notify.delay, report_ids))
                notify.delay_on_commit(report_ids)


        def finish(report):
            report.save(update_fields=["state"])
            transaction.on_commit(notify.delay(report.pk))  # expect: TXN002
            transaction.on_commit(lambda: notify.delay(report.pk))
    """,
}


def test_celery_canvas_signatures_and_eager_on_commit_are_side_effects(tmp_path):
    assert_corpus(tmp_path, CELERY)


def test_the_fix_names_the_projects_own_after_commit_helper(tmp_path):
    files = {
        **CELERY,
        "common/__init__.py": "",
        "common/after_commit.py": """
            import functools

            from django.db import transaction


            def send_task_on_commit(task, *args):
                transaction.on_commit(functools.partial(task.delay, *args))
        """,
    }
    report = assert_corpus(tmp_path, files)
    fixes = [f.fix for f in report.findings if "signature" in f.message or "apply_async" in f.message]
    assert fixes and all("send_task_on_commit(" in fix for fix in fixes)


def test_without_a_project_helper_the_fix_is_django_on_commit_not_delay_on_commit(tmp_path):
    report = assert_corpus(tmp_path, CELERY)
    assert all("delay_on_commit" not in finding.fix for finding in report.findings)
    assert any("transaction.on_commit(lambda: notify.delay(...))" in finding.fix for finding in report.findings)


# Syntax of a newer Python than the one running the analysis.

PEP_695 = """
    from django.db import transaction


    def first[T](items: list[T]) -> T:
        return items[0]


    def place(order):
        with transaction.atomic():
            order.save()
            notify.delay(order.pk)
"""
NESTED_QUOTES = """
    def label(row):
        return f"{row["name"]} ({row["code"]})"
"""


@pytest.mark.parametrize("source", [PEP_695, NESTED_QUOTES])
def test_newer_syntax_is_a_warning_naming_the_version_for_a_project_declaring_it(tmp_path, capsys, monkeypatch, source):
    build(tmp_path, {"app/services.py": source}, '[project]\nrequires-python = ">=3.12"\n')
    monkeypatch.chdir(tmp_path)
    status = main(["app/services.py"])
    out = capsys.readouterr().out
    if sys.version_info >= (3, 12):
        assert "TXN006" not in out
        return
    assert status == 0, out
    assert "app/services.py:" in out and "TXN006" in out and "(warning)" in out
    assert "Python 3.12" in out


def test_newer_syntax_than_the_project_declares_blocks(tmp_path, capsys, monkeypatch):
    build(tmp_path, {"app/services.py": PEP_695}, '[project]\nrequires-python = ">=3.10"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["app/services.py"]) == 1
    out = capsys.readouterr().out
    assert "TXN000" in out
    assert "needs Python 3.12" in out and "requires-python >=3.10" in out


def test_a_real_syntax_error_is_still_an_error(tmp_path, capsys, monkeypatch):
    build(tmp_path, {"app/services.py": "def broken(:\n    pass\n"}, '[project]\nrequires-python = ">=3.12"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["app/services.py"]) == 1
    assert "TXN000" in capsys.readouterr().out


# The command line.


def test_a_missing_path_exits_2_with_a_message(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["does/not/exist"]) == 2
    captured = capsys.readouterr()
    assert "no such file or directory: does/not/exist" in captured.err
    assert "no issues" not in captured.out


def test_exclude_patterns_from_the_command_line_and_pyproject(tmp_path, capsys, monkeypatch):
    files = {
        "shop/services.py": "def merge(a, b):\n    a.save()\n    b.delete()\n",
        "shop/tests/test_merge.py": "def test_merge():\n    A.objects.create()\n    B.objects.create()\n",
        "shop/tests/services.py": "def make(a, b):\n    a.save()\n    b.save()\n",
        "legacy/services.py": "def old(a):\n    a.save()\n    a.refresh_from_db()\n    a.delete()\n",
        "shop/migrations/0002_data.py": "def forwards(apps, schema_editor):\n    pass\n",
    }
    build(tmp_path, files, '[tool.transaction-usage]\nexclude = ["legacy/*"]\n')
    monkeypatch.chdir(tmp_path)
    assert main(["--exclude", "tests", "--format", "json", "."]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == ["shop/services.py"]
    assert [finding["path"] for finding in report["findings"]] == ["shop/services.py"]
    assert report["statistics"]["findings"]["TXN001"] == 1


def test_statistics_count_files_and_findings_per_rule(tmp_path, capsys, monkeypatch):
    build(tmp_path, CALLS)
    monkeypatch.chdir(tmp_path)
    assert main(["--statistics", "shop"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"6 file\(s\) analysed in [\d.]+ s \(\d+ files/s\): \d+ parsed, \d+ skipped", out)
    assert re.search(r"TXN002\s+6\s", out)
    assert re.search(r"TXN001\s+1\s", out)


def test_in_this_project_the_fix_names_send_task_on_commit(tmp_path):
    from pathlib import Path

    project = Path(__file__).resolve().parents[3]
    service = tmp_path / "apps" / "shop" / "services.py"
    service.parent.mkdir(parents=True)
    service.write_text(
        "from django.db import transaction\n\nfrom .tasks import notify\n\n\n"
        "def close(order):\n    with transaction.atomic():\n        order.save()\n        notify.delay(order.pk)\n"
    )
    report = analyse_paths([service], root=tmp_path, tree=[project / "apps"])
    [finding] = report.findings
    assert finding.code == "TXN002"
    assert "send_task_on_commit(notify, ...)" in finding.fix
