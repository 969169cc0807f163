"""After-call work: the grounded summary, intent, action items, disposition, CRM fields and the review they go
through, produced by an engine (``local`` or ``llm``) when a call ends."""
