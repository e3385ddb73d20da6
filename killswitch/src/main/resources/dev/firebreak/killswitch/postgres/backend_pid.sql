-- The backend pid of this connection, for the log.
SELECT pg_backend_pid()
