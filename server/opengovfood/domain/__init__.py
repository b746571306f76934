"""Plain values every layer shares: the caller, records, enums, the list query language.

Nothing here does I/O or imports a layer (rpc, services, repositories, db, llm)."""
