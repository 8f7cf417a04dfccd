"""Sorting and order statistics (sort); the CPU selection algorithms they follow (cpu_kernels)."""
