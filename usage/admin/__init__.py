"""Django admin of the meter-data engine: the registry (TDUs, premises, meters) and the ingest reports."""

from usage.admin import ingest, registry

__all__ = ["ingest", "registry"]
