"""What more than one backend shares: errors, generated-code caches, Python names,
symbol references."""
