"""Content marketers edit (journey, intents, messages, calendars) and the loaders that validate it."""
