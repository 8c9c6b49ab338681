"""Use cases. Plain Python over a unit of work; the CLI and the UI call the same functions."""
