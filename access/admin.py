from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from access.models import ApiToken, IdempotentRequest
from access.services import api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `manage.py issue_token` (the token is shown once); here they are
    listed and revoked."""

    list_display = ("name", "key_prefix", "scope", "source", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope", "source", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "key_prefix")
    readonly_fields = (
        "key_prefix",
        "key_hash",
        "scope",
        "source",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    )
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            api_token_revoke(token=token, actor=request.user.get_username())
        self.message_user(request, f"{queryset.count()} token(s) revoked.", messages.SUCCESS)


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(admin.ModelAdmin):
    list_display = ("key", "token", "status_code", "created_at")
    list_filter = ("status_code",)
    search_fields = ("key",)
    readonly_fields = ("token", "key", "fingerprint", "status_code", "response", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
