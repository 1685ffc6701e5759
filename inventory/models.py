"""Models of the inventory app (filled in by its issue)."""
