"""Shared fixtures for the parser tests: the reference 'now' and a fixed customer list."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nlu_customers import CUSTOMERS

from core.nlu.names import NameIndex

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # a Monday


@pytest.fixture(scope="session")
def names() -> NameIndex:
    return NameIndex(CUSTOMERS)
