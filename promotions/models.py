"""Models of the promotions app (filled in by its issue)."""
