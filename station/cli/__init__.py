"""The `station` command: click commands that parse, call the library and print."""
