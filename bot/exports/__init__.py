"""File exports (XLSX and the like) built from plain view dataclasses."""
