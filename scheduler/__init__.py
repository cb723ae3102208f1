"""Periodic sweeps over the database: reminders, escalations and the daily digest."""
