"""Cursor pagination whose bad input is a 400 naming the parameter (DRF answers a bad cursor with 404 and
quietly clamps a page size of 0 or -5)."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from api.problems import invalid_parameter


class StrictCursorPagination(CursorPagination):
    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return int(self.page_size or 1)
        hi = int(self.max_page_size or self.page_size or 1)
        try:
            value = int(raw)
        except ValueError:
            raise invalid_parameter(
                "page_size",
                gettext("%(name)s=%(raw)s is not a whole number.") % {"name": "page_size", "raw": repr(raw)},
            ) from None
        if not 1 <= value <= hi:
            raise invalid_parameter(
                "page_size",
                gettext("%(name)s must be between %(lo)d and %(hi)d.")
                % {"name": "page_size", "lo": 1, "hi": hi},
            )
        return value

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            return super().decode_cursor(request)
        except Exception:  # noqa: BLE001 - DRF raises NotFound for any cursor it cannot read
            raise invalid_parameter(
                "cursor", gettext("This cursor is not valid; use the `next` or `previous` link as given.")
            ) from None

    @classmethod
    def parameters(cls) -> list[OpenApiParameter]:
        """The OpenAPI parameters, with their bounds."""
        hi = int(cls.max_page_size or cls.page_size or 1)
        return [
            OpenApiParameter("cursor", str, description="From `next` or `previous`, as given."),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": hi, "default": cls.page_size},
                description=f"1 to {hi}, default {cls.page_size}.",
            ),
        ]
