"""The SQL core: tables, sessions, queries and migrations."""
