"""Commands for camera (filled in by its issue)."""
COMMANDS: list = []
