"""The capture-station application: store, roster, session, export and the CLI."""
