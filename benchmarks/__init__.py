"""Benchmark scripts (not tests): they print figures, they assert nothing about speed."""
