"""Benchmarks for afsreg at scale: a synthetic registry generator and a timing harness.

Run ``python -m bench --size smoke`` (seconds, for CI) or ``--size scale``;
see bench/README.md.
"""
