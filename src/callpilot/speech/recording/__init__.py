"""Call recordings: where they are kept (store.py) and how personal data is silenced in them (redaction.py)."""
