"""The OpenAPI schema class of the API (a module of its own: drf-spectacular's AutoSchema reads
the REST framework settings on import, which name classes of `mdm.api`)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

ERROR_COMPONENT = "ApiError"
ERROR_SCHEMA = {
    "type": "object",
    "description": '`{"detail": "message"}`, or field errors `{"field": ["message", ...]}`',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}
# Error answers any API operation can give, documented on every operation.
COMMON_ERRORS = {
    "400": "Invalid input (parameters or body); the body names what was wrong",
    "401": "No credentials, or an unknown or revoked token",
    "403": "The token's scope (or the user's role) does not allow this request",
    "429": "Rate limit of the token exceeded; see Retry-After",
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, documenting the common error answers (with the one error
    format) on every operation, so that clients and schema-driven tests know them."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, object]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        component = ResolvedComponent(
            name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, object=ERROR_COMPONENT, schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        errors = dict(COMMON_ERRORS)
        if "{" in self.path:
            errors["404"] = "Not found"
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = "The body is not JSON"
        for code, description in errors.items():
            responses.setdefault(code, {"description": description})
        for code, response in responses.items():
            if code.startswith(("4", "5")) and isinstance(response, dict) and not response.get("content"):
                response["content"] = {"application/json": {"schema": component.ref}}
        return responses
