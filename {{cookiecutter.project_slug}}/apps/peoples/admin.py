from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from apps.core.admin import EditedRowAdminMixin
from apps.core.exceptions import StaleVersionError
from apps.core.views.responses import write_failure_response

from .models import People, PeopleOrganizational, PeopleProfile


class PeopleProfileInline(admin.StackedInline):
    model = PeopleProfile
    can_delete = False


class PeopleOrganizationalInline(admin.StackedInline):
    model = PeopleOrganizational
    fk_name = "people"
    can_delete = False


@admin.register(People)
class PeopleAdmin(EditedRowAdminMixin, UserAdmin):
    list_display = ["peoplecode", "peoplename", "username", "client", "site", "is_staff", "is_active"]
    list_select_related = ("client", "site")
    list_filter = ["is_staff", "is_active", "client"]
    search_fields = ["peoplecode", "peoplename", "username", "email"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Organization", {"fields": ["peoplecode", "peoplename", "mobno", "client", "site"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "peoplecode", "peoplename", "password1", "password2"]}),
    ]

    def user_change_password(self, request, id, form_url=""):
        """A password set here on a person changed by someone else since the page was loaded is refused (409)."""
        try:
            return super().user_change_password(request, id, form_url)
        except StaleVersionError as exc:
            return write_failure_response(exc, self.model._meta.verbose_name)

    def get_inlines(self, request, obj):
        # The receivers create both rows when the person is added; edit them afterwards.
        return [PeopleProfileInline, PeopleOrganizationalInline] if obj else []
