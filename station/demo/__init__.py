"""The scripted demo session on the virtual camera (generated roster and faces)."""
