"""Bare stacks over the same LibraryService: what each protocol costs without the gateway.

Each module runs one server: `python -m bench.baselines.NAME --port N --db PATH`.
"""
