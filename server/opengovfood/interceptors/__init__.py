"""Server interceptors, outermost first: request id, access log, error mapping, auth."""
