"""The terminal face of the station controller: key bindings, the full-screen view and the terminal runtime."""
