"""Cross-cutting pieces: settings, errors, logging, metrics."""
