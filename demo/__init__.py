"""`scrm demo`: the whole system on embedded defaults against the bundled WeCom sandbox."""
