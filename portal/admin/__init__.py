"""Django admin of the portal app, one module per subject; importing them registers their ModelAdmins."""

from portal.admin import market

__all__ = ["market"]
