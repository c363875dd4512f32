"""SQLite storage of the library: schema, connections, and one module per table group."""
