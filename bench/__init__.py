"""Benchmarks: speed is measured here, on the real code path, never in timed tests.

`python -m bench` runs them all and prints one table; `python -m bench NAME ...` runs some.
Each benchmark module has `run(workdir) -> list[Row]`; the figures also go to
`bench/results.json` with a description of the machine they were taken on.
"""
