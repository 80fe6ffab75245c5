"""Read pages over the apps' records: a filtered, searched, paginated list and a detail page.

Each app declares its pages with a few attributes (the columns, the filters, the fields to show)
instead of a template per model. Every queryset goes through ``scope()`` first, so a person sees
only what their client allows, and each list runs a fixed number of queries whatever its length:
the related rows a column shows are named in ``list_select_related``.
"""

import django_filters
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.urls import reverse
from django.views.generic import DetailView
from django_filters.views import FilterView

from apps.core.access.permissions import can, permission_name
from apps.core.access.scoping import scope_queryset


def _value(record, path):
    """The display value of a dotted attribute path: choices by their label, missing links as ""."""
    value = record
    for name in path.split("."):
        if value is None:
            return ""
        display = getattr(value, f"get_{name}_display", None)
        value = display() if callable(display) else getattr(value, name)
    return "" if value is None else value


def _label(model, path):
    """A column heading from the verbose name of the field a dotted path ends at."""
    *links, name = path.split(".")
    for link in links:
        model = model._meta.get_field(link).related_model
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name.replace("_", " ").capitalize()
    return str(getattr(field, "verbose_name", name)).capitalize()


class ScopedPageMixin(LoginRequiredMixin):
    """The records of ``model`` that the signed-in person may see."""

    model = None
    list_select_related = ()

    def get_queryset(self):
        queryset = self.model._default_manager.all()
        if self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return scope_queryset(queryset, self.request.user)


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with a free-text ``q`` over the view's ``search_fields``."""

    q = django_filters.CharFilter(label="Search", method="search")
    search_fields = ()

    def search(self, queryset, name, value):
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition) if value else queryset


def filterset_for(model_class, fields, search):
    """A FilterSet class for ``model_class`` filtering on ``fields`` and searching ``search``."""
    meta = type("Meta", (), {"model": model_class, "fields": list(fields)})
    return type(f"{model_class.__name__}FilterSet", (SearchFilterSet,), {"Meta": meta, "search_fields": search})


class RecordListView(ScopedPageMixin, FilterView):
    """A list page: ``columns`` (attribute paths; the first links to the record), filters, search."""

    template_name = "core/list.html"
    paginate_by = 25
    columns = ()
    filter_fields = ()
    search_fields = ()
    #: (label, URL name) of the page that creates a record, shown when the person may use it.
    create_url_name = None
    title = None

    def get_filterset_class(self):
        return filterset_for(self.model, self.filter_fields, self.search_fields)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        model = self.model
        context["title"] = self.title or str(model._meta.verbose_name_plural).capitalize()
        context["headings"] = [_label(model, path) for path in self.columns]
        context["rows"] = [
            (record, [_value(record, path) for path in self.columns]) for record in context["object_list"]
        ]
        may_add = can(self.request.user, permission_name(model, "add"))
        context["create_url_name"] = self.create_url_name if may_add else None
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        return context


class RecordDetailView(ScopedPageMixin, DetailView):
    """A detail page: ``fields`` (attribute paths) then the record's trail and its actions."""

    template_name = "core/detail.html"
    fields = ()
    #: The URL name of the record's edit page; its "Edit" link shows to those who may use it.
    update_url_name = None
    #: The permission the edit page needs (a verb, a full permission name, or ``STAFF_ONLY``).
    update_permission_verb = "change"

    def get_update_url(self, record):
        """The record's edit page, or None when there is none or the person's role may not edit it."""
        if self.update_url_name is None:
            return None
        if not can(self.request.user, permission_name(self.model, self.update_permission_verb)):
            return None
        return reverse(self.update_url_name, args=[record.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = context["object"]
        context["title"] = f"{str(self.model._meta.verbose_name).capitalize()} {record}"
        context["facts"] = [(_label(self.model, path), _value(record, path)) for path in self.fields]
        context["update_url"] = self.get_update_url(record)
        return context
