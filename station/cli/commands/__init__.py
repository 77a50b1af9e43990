"""One module per group of commands; each exposes COMMANDS (click commands or groups)."""
