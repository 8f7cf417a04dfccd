"""Elementwise ops: arithmetic and comparisons (arithmetic), unary math (unary), ops of two or
three operands (binary), erf/gamma families (erfgamma), predicates and logic (logic); the NumPy
kernels of the special functions (special_np)."""
