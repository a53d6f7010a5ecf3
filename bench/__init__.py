"""Benchmarks: the gateway's own speed, side by side with bare stacks over the same service.

`python -m bench` (or `make bench`) runs everything and writes bench/results/;
`python -m bench --quick` runs every measurement with tiny loads, to check the harness.
"""
