"""Reductions: sum/mean/prod/max/min/... (basic), scans (cumulative), var/std (stats)."""
