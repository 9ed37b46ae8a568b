"""app/web/api."""
