"""Ops of the nn layers, one module per family (each registers its ops with @export)."""
