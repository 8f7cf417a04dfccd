"""Activation functions (functions), piecewise ones (piecewise), softmax and friends (softmax)."""
