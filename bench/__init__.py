"""Benchmarks: numbers printed and written to bench/results/*.json, never asserted."""
