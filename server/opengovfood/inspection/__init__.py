"""Food Code knowledge as plain data and pure functions: no I/O on the hot path."""
