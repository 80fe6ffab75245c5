"""What a refused write must leave as it was: the row count of every model and the row it aimed at."""

from django.apps import apps
from django.forms.models import model_to_dict


def database_snapshot(target=None):
    """``(row counts of every model, the target row's values or None)``; compare two to see a write."""
    counts = {model._meta.label: model._base_manager.count() for model in apps.get_models()}
    row = None
    if target is not None:
        fresh = type(target)._base_manager.filter(pk=target.pk).first()
        row = model_to_dict(fresh) if fresh is not None else None
    return counts, row
