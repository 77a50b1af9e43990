"""Typed settings and format presets, loaded from TOML. No import-time side effects."""
