"""The benchmark's Qt child processes (run with `python -m`): the only part of kodoku_devtools
that imports Qt."""
