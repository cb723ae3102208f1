"""Errors that carry a message fit to show the user as is."""

from __future__ import annotations


class UserInputError(Exception):
    """The user's message could not be used; `str(err)` is the Chinese reply, with an example."""

    def __init__(self, message: str, example: str | None = None) -> None:
        self.example = example
        super().__init__(message if not example else f"{message}\n例如：{example}")


class PermissionDenied(Exception):
    """The user may not see or change this; `str(err)` is safe to show."""
