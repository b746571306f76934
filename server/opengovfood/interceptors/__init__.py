"""Server interceptors, outermost first: request id, access log, error mapping, drain
(graceful stop), auth."""
