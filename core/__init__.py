"""Pure domain rules: no I/O, no framework imports (enforced by tests/core/test_purity.py)."""
