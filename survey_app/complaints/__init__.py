"""Coordinator pages for complaint exports (upload, preview, import) and the round figures."""
