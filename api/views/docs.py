"""The OpenAPI document and its two renderings: ``/api/schema/``, ``/api/docs/`` (Swagger UI), ``/api/redoc/``."""

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from api import throttling


class _Counted:
    """The docs and schema count against the client's IP limit and carry the RateLimit headers too."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        states, _ = throttling.count([("ip", throttling.client_ip(request))])
        for k, v in throttling.headers_for(states).items():
            response[k] = v
        return response


class SchemaView(_Counted, SpectacularAPIView):
    pass


class DocsView(_Counted, SpectacularSwaggerSplitView):
    pass


class RedocView(_Counted, SpectacularRedocView):
    pass
