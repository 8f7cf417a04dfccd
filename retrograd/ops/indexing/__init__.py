"""Indexing: x[key] and x[key] = v (getitem), mask ops (masked), index ops along a dim (select),
gather/scatter (scatter)."""
