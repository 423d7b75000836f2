"""Logging in and out, roles, and the login throttle."""
