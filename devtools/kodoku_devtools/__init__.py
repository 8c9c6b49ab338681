"""Developer tools for kodoku-desk, shipped apart from the product (distribution
kodoku-desk-devtools, devtools/pyproject.toml): the generated demo organisation and data, the
benchmark and its GUI probes. The product imports this package only lazily, in the commands that
offer them (`kodoku-desk demo`, `kodoku-desk bench`, the first-run dialog's demo button), and
says so in one sentence when it is not installed (kodoku_desk.extras)."""
