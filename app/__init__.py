"""WeCom private-domain SCRM bot: the web side, storage, the WeCom client, the CLI, and the wiring between them."""
