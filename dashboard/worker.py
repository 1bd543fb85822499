"""What the worker process tells the tasks it runs: a deploy (SIGTERM) or Ctrl-C asked it to stop.

`manage.py db_worker` (dashboard/management/commands/db_worker.py) sets `stopping` on the first
signal, then lets the current task finish as django-tasks-db does. A long task (a bulk change) reads
the flag, sends no more, lets what is in flight finish and hands the rest to a new task, so the
worker exits within seconds and a deploy loses nothing. In any other process the flag stays unset.
"""

from __future__ import annotations

import threading

stopping = threading.Event()


class WorkerLost(Exception):
    """Its worker stopped before it finished (killed, or out of memory)."""
