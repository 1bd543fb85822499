"""The load test: `make load` (full) and `python load/run.py --short` (CI). See run.py."""
