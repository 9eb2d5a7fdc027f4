"""Django admin of the portal app, one module per subject; importing them registers their ModelAdmins."""

from portal.admin import bills, market

__all__ = ["bills", "market"]
