"""Admin helpers: records saved in the admin are stamped like any other write."""

from django.contrib import admin

from apps.core.services.userinfo import save_userinfo


class UserInfoAdmin(admin.ModelAdmin):
    """Stamp created-by/modified-by on save; the admin already wraps the save in a transaction."""

    userinfo_readonly_fields = ["uuid", "cuser", "muser", "cdtz", "mdtz"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.userinfo_readonly_fields]

    def save_model(self, request, obj, form, change):
        save_userinfo(obj, request.user)
