"""The coordinator's pages: quarterly rounds (create, edit, open, close, extend, publish)."""
