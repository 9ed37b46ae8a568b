"""Periodic upkeep the scheduler runs: reconciliation with WeCom, channel and staff sync, inactivity, escalation."""
