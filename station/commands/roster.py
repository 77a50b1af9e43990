"""Commands for roster (filled in by its issue)."""
COMMANDS: list = []
