"""On-demand meter reads as people see them: who asked, the per-premise limits, the answers on record."""
