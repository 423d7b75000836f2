"""JSON endpoints for coordinators and viewers (login required, like every page)."""
