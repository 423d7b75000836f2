"""The public results (/publik): no login, read only from published documents."""
