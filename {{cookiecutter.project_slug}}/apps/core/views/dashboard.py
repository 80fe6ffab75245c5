"""The transaction health dashboard: staff read at a glance whether transactions are healthy.

Pages live under the admin (``/admin/transaction-health/``) and in its look. The charts are SVG
drawn here, on the server: no JavaScript library, no CDN, nothing fetched by the browser.
"""

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from apps.core.models import TransactionFailureLog
from apps.core.services import monitoring_metrics
from apps.core.services.transaction_monitoring_service import TransactionAuditService, TransactionMonitoringService

logger = logging.getLogger(__name__)

WINDOWS = [(1, "1 hour"), (24, "24 hours"), (168, "7 days")]

COMMITTED = "#2e7d32"
REJECTED = "#9e9e9e"
FAILED = "#c62828"
AMBER = "#ef6c00"


def staff_member_required(view):
    """Anonymous: to the admin login and back. Signed in but not staff: 403."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not request.user.is_staff:
            raise PermissionDenied("The transaction dashboard is for staff members only.")
        return view(request, *args, **kwargs)

    return wrapped


# SVG charts -----------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 14, 30


def _x_labels(series, slot_width):
    """Hour labels under the x axis, thinned to fit."""
    step = max(1, round(len(series) / 8))
    parts = []
    for index, point in enumerate(series):
        if index % step and index != len(series) - 1:
            continue
        x = LEFT + slot_width * (index + 0.5)
        label = timezone.localtime(point["hour"]).strftime("%H:%M" if len(series) <= 48 else "%d %b")
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle" class="axis">{label}</text>')
    return "".join(parts)


def _y_axis(maximum, unit, ticks=4):
    parts = []
    plot_height = HEIGHT - TOP - BOTTOM
    for tick in range(ticks + 1):
        value = maximum * tick / ticks
        y = TOP + plot_height * (1 - tick / ticks)
        label = f"{value:.0f}{unit}" if maximum >= ticks else f"{value:.1f}{unit}"
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{label}</text>'
        )
    return "".join(parts)


def _svg(title, body):
    # Every value in ``body`` is a number, a fixed word or escaped.
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def volume_chart(series):
    """Stacked bars per hour: committed, rejected, failed."""
    peak = max((point["total"] for point in series), default=0)
    maximum = max(4, peak)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(series))
    bar = max(2.0, slot * 0.72)
    parts = [_y_axis(maximum, "")]
    for index, point in enumerate(series):
        x = LEFT + slot * index + (slot - bar) / 2
        y = TOP + plot_height
        label = timezone.localtime(point["hour"]).strftime("%d %b %H:00")
        for key, colour in (("commits", COMMITTED), ("rejections", REJECTED), ("failures", FAILED)):
            value = point[key]
            if not value:
                continue
            height = plot_height * value / maximum
            y -= height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" fill="{colour}" '
                f'class="bar {key}"><title>{label}: {value} {key}</title></rect>'
            )
        if not point["total"]:
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_height - 1:.1f}" width="{bar:.1f}" height="1" class="empty">'
                f"<title>{label}: no transactions</title></rect>"
            )
    parts.append(_x_labels(series, slot))
    return _svg("Transactions per hour", "".join(parts))


def rate_chart(series, key, colour, *, maximum=None, thresholds=(), title=""):
    """A line (with a soft area under it) of a percentage per hour; hours without traffic are gaps."""
    values = [point[key] for point in series]
    known = [value for value in values if value is not None]
    if maximum is None:
        maximum = max([*known, *(limit * 1.5 for limit, _, _ in thresholds), 1.0])
    maximum = float(maximum)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(series))
    parts = [_y_axis(maximum, "%")]
    for limit, label, line_colour in thresholds:
        y = TOP + plot_height * (1 - min(limit, maximum) / maximum)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{line_colour}" '
            f'stroke-dasharray="5 4" class="threshold"/>'
            f'<text x="{WIDTH - RIGHT - 4}" y="{y - 4:.1f}" text-anchor="end" class="threshold-label" '
            f'fill="{line_colour}">{escape(label)} {limit:g}%</text>'
        )
    runs, run = [], []
    for index, value in enumerate(values):
        if value is None:
            if run:
                runs.append(run)
            run = []
            continue
        x = LEFT + slot * (index + 0.5)
        y = TOP + plot_height * (1 - min(value, maximum) / maximum)
        run.append((x, y, value, series[index]["hour"]))
    if run:
        runs.append(run)
    base = TOP + plot_height
    for run in runs:
        line = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _, _) in enumerate(run))
        area = f"M{run[0][0]:.1f},{base:.1f} " + line.replace("M", "L", 1) + f" L{run[-1][0]:.1f},{base:.1f} Z"
        parts.append(f'<path d="{area}" fill="{colour}" fill-opacity="0.12" class="area"/>')
        parts.append(f'<path d="{line}" fill="none" stroke="{colour}" stroke-width="2.2" class="line"/>')
        for x, y, value, hour in run:
            label = timezone.localtime(hour).strftime("%d %b %H:00")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" class="point">'
                f"<title>{label}: {value:.2f}%</title></circle>"
            )
    if not runs:
        parts.append(
            f'<text x="{WIDTH / 2:.0f}" y="{TOP + plot_height / 2:.0f}" text-anchor="middle" class="nodata">'
            "No transactions in this window</text>"
        )
    parts.append(_x_labels(series, slot))
    return _svg(title, "".join(parts))


# Views ---------------------------------------------------------------------------------------


def _window(request):
    try:
        hours = int(request.GET.get("hours", 24))
    except ValueError:
        hours = 24
    return hours if hours in dict(WINDOWS) else 24


@staff_member_required
def dashboard_view(request):
    monitoring_metrics.fold_quietly()  # what this process just did is on the page
    hours = _window(request)
    service = TransactionMonitoringService
    summary = service.get_transaction_health_summary(hours=hours)
    series = service.get_hourly_series(hours=hours)
    if hours > 48:
        series = _daily(series)
    limits = summary["thresholds"]
    try:
        audit = TransactionAuditService.audit_transaction_coverage()
    except Exception:  # noqa: BLE001 - a broken audit must not hide the rest of the page
        logger.exception("coverage audit failed")
        audit = None
    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": "Transaction health",
        "hours": hours,
        "windows": WINDOWS,
        "summary": summary,
        "snapshot": service.latest_snapshot(),
        "volume_chart": volume_chart(series),
        "success_chart": rate_chart(series, "success_rate", COMMITTED, maximum=100, title="Success rate per hour"),
        "failure_chart": rate_chart(
            series,
            "failure_rate",
            FAILED,
            thresholds=(
                (limits["failure_rate_degraded"], "Degraded above", AMBER),
                (limits["failure_rate_critical"], "Critical above", FAILED),
            ),
            title="Failure rate per hour",
        ),
        "bucket": "hour" if hours <= 48 else "day",
        "top_failing": service.get_top_failing_operations(limit=10, hours=hours),
        "recent_failures": list(service.failures(hours).order_by("-occurred_at", "-id")[:15]),
        "after_commit_incidents": list(service.after_commit_incidents(hours).order_by("-occurred_at", "-id")[:15]),
        "slow": TransactionAuditService.get_slow_transactions(
            threshold_ms=limits["slow_transaction_ms"], limit=10, hours=hours
        ),
        "locks": service.get_lock_summary(hours=hours),
        "audit": audit,
        "generated_at": timezone.now(),
    }
    return render(request, "core/monitoring/dashboard.html", context)


def _daily(series):
    """Hourly points summed into days, for the 7-day window."""
    days = {}
    for point in series:
        day = timezone.localtime(point["hour"]).replace(hour=0, minute=0, second=0, microsecond=0)
        entry = days.setdefault(day, {"hour": day, "commits": 0, "rejections": 0, "failures": 0, "total": 0})
        for key in ("commits", "rejections", "failures", "total"):
            entry[key] += point[key]
    result = []
    for entry in days.values():
        total = entry["total"]
        entry["success_rate"] = round(100.0 * entry["commits"] / total, 2) if total else None
        entry["failure_rate"] = round(100.0 * entry["failures"] / total, 2) if total else None
        result.append(entry)
    return result


@staff_member_required
def failure_detail_view(request, pk):
    alias = settings.MONITORING_DB_ALIAS
    record = TransactionFailureLog.objects.using(alias).filter(pk=pk).first()
    if record is None:
        raise Http404("No such transaction failure.")
    related = []
    if record.correlation_id:
        related = list(
            TransactionFailureLog.objects.using(alias)
            .filter(correlation_id=record.correlation_id)
            .exclude(pk=record.pk)
            .order_by("-occurred_at")[:20]
        )
    earlier = (
        TransactionFailureLog.objects.using(alias)
        .filter(operation=record.operation, occurred_at__gte=record.occurred_at - timedelta(days=1))
        .count()
    )
    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": f"Transaction failure #{record.pk}",
        "record": record,
        "related": related,
        "same_operation_last_day": earlier,
        "admin_url": reverse("admin:core_transactionfailurelog_change", args=[record.pk]),
    }
    return render(request, "core/monitoring/failure_detail.html", context)
