"""The receiver that keeps an asset's status history.

It runs synchronously inside the transaction of whoever saved the asset (a service function
such as ``change_asset_status``) and opens no transaction of its own: if writing the log row
fails, the exception reaches the caller and the status change rolls back with it. An asset's
status and its history can never disagree.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Asset, AssetLog


def _write_asset_log(asset, oldstatus):
    return AssetLog.objects.create(
        asset=asset,
        oldstatus=oldstatus,
        newstatus=asset.status,
        remarks=asset.status_remarks,
        changed_by_id=asset.muser_id,
        client_id=asset.client_id,
        site_id=asset.site_id,
    )


@receiver(post_save, sender=Asset, dispatch_uid="activity.log_asset_status")
def log_asset_status(sender, instance, created, raw=False, update_fields=None, **kwargs):
    """Record the asset's creation and every later change of its status."""
    if raw:
        return
    if not created:
        if update_fields is not None and "status" not in update_fields:
            return
        if not instance.status_changed:
            return
    _write_asset_log(instance, oldstatus="" if created else instance.loaded_status)
    instance.mark_status_saved()
