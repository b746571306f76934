"""Repository tools run by `make` (lint, docs, lock): not part of the server package."""
