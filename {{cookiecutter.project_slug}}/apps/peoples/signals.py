"""Receivers that complete a new person with its profile and organizational record.

They run synchronously inside the transaction of whoever saved the person (the service function
``create_person``). They open no transaction of their own: if either one fails, the exception
reaches the caller, whose transaction rolls back the person too. No person is ever left without
its profile or its organizational record.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import People, PeopleOrganizational, PeopleProfile


@receiver(post_save, sender=People, dispatch_uid="peoples.create_profile")
def create_profile(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        PeopleProfile.objects.create(people=instance)


@receiver(post_save, sender=People, dispatch_uid="peoples.create_organizational")
def create_organizational(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        PeopleOrganizational.objects.create(people=instance)
