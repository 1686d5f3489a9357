"""Running on a schedule: the run lock, the housekeeping job and the APScheduler adapter.

    lock          one run at a time (a lock file on SQLite, an advisory lock on PostgreSQL)
    due           pure decisions: when the weekly digest is due, what to prune; the run reports
    housekeeping  prune old raw HTML, compact the database
    jobs          the jobs `monitor run` schedules (module-level functions taking the config path)
    scheduler     the one adapter around APScheduler 3 (its types stay inside it)
    logs          stderr logging that journald reads well

The scheduler is an entry point (it builds a ``Monitor``); nothing in the library imports it.
"""
