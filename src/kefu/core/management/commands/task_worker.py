"""django-tasks' database worker, logging as settings.LOGGING says.

`db_worker` sets its loggers to INFO at the default verbosity, so every routing tick (every
5 s) wrote two lines to the console; at verbosity 0 it hides failed tasks too. Here the
project's LOGGING decides: warnings and failures are shown, routine runs are not.
"""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker


class Command(DatabaseWorker):
    help = "Run background tasks from the database queue (kefu worker)."

    def configure_logging(self, verbosity: int) -> None:
        if verbosity > 1:
            super().configure_logging(verbosity)
