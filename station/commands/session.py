"""Commands for session (filled in by its issue)."""
COMMANDS: list = []
