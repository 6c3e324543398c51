"""Benchmarks of glossary-dl: `python -m benchmarks` (see benchmarks/__main__.py)."""
