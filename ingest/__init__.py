"""Sources of records: file readers (pure) and online clients (the only network I/O)."""
