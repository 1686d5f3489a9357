"""Persistence: the schema (models), opening and migrating the database (db)."""

from .db import Database
from .models import utcnow

__all__ = ["Database", "utcnow"]
