"""TDU file ingest. The entry point is ``usage.ingest.loader`` (``ingest_file``, ``ingest_stream``,
``ingest_reapply_rejects``). The parsers (``intervals``, ``fastpath``, ``billing`` and what they share) are
pure and import no Django, so this package's ``__init__`` imports nothing."""
