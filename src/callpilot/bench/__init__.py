"""``callpilot bench``: measured performance, written to docs/benchmarks.md."""
