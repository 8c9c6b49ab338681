"""Documents written for people outside the app: meeting packets (PDF, DOCX), minutes, printed
sheets. Renderers take plain data (no database sessions) and write through
store.files.atomic_output so a failed export never leaves a partial file under the chosen name."""
