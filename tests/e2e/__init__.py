"""End-to-end tests: the service, the sandbox and PostgreSQL as real processes on real sockets."""
