"""Labelled prospect messages the intent fallback learns from (JSON lines of text, hot, intent)."""
