"""The REST resources under /api/v1/ and the OpenAPI document's views, one module per resource (routes in
api/urls.py)."""
