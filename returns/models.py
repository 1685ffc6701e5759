"""Models of the returns app (filled in by its issue)."""
