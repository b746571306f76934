"""The synchronous client, generated from `_async/` (tools/unasync.py): edit there."""
