"""Test support code (importable from tests: pytest puts tests/ on sys.path)."""
