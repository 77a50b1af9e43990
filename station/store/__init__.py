"""The workspace's memory: the append-only journal, its read model and its one writer, durable originals."""
