"""Storage: the models, their migrations and the queries over them (inbox, outbox, contacts, tags, content)."""
