"""Benchmarks of the dashboard (`make bench`). Each module here registers its own with `@benchmark`."""
