"""Read models for the UI and the CLI: what a screen or a command lists and shows."""
