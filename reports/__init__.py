"""PDF rendering with reportlab: plain data in, bytes out (no database, no Flask request)."""
