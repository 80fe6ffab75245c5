"""Benchmarks and a load test of the transaction machinery: ``bench_transactions``, ``load_test``."""
