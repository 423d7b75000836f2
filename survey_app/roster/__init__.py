"""Coordinator pages for rosters: upload with a preview, invitation downloads, response rates."""
