"""callpilot: self-hosted live agent assist and after-call automation for contact centers."""

__version__ = "0.1.0"
__all__ = ["__version__"]
