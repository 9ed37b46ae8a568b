"""The event pipeline: relay -> events -> bots -> outbox -> actions -> executors -> gateway, and its sweepers."""
