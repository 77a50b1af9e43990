"""Commands for photo (filled in by its issue)."""
COMMANDS: list = []
