"""The agent desktop (``/``) and the supervisor dashboard (``/supervisor``): static pages and small ES modules
served by the API process, fed by the same event streams as every other client."""
