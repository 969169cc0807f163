"""The HTTP/WebSocket API (FastAPI)."""

from callpilot.api.app import create_app

__all__ = ["create_app"]
