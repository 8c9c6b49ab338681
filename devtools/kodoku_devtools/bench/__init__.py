"""The benchmark (issue 5): a generated city-scale workspace in SQLCipher and the same data in a
plain SQLite file, timed with the application's own services. Not a test: figures are printed,
never asserted. Entry point: `kodoku-desk bench` (kodoku_desk.cli.tools)."""
