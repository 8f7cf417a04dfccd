"""Seeing the graph: DOT pictures (torchviz's ``make_dot``), a plain-text tree, the memory the
graph keeps alive, the gradient flow of a Module after backward and the backward explainer
(``explain``, also ``retrograd.autograd.explain``). ``why_no_grad`` and provenance
(``set_provenance``) live in ``retrograd.autograd``."""
from __future__ import annotations

from .dot import graph_text, make_dot, resize_graph, to_dot
from .flow import GradientFlow, ParamFlow, gradient_flow, weights_snapshot
from .memory import NodeMemory, SavedMemory, saved_memory
from ..autograd._explain import Explanation, explain

__all__ = ["make_dot", "to_dot", "graph_text", "resize_graph", "saved_memory", "SavedMemory",
           "NodeMemory", "gradient_flow", "weights_snapshot", "GradientFlow", "ParamFlow",
           "explain", "Explanation"]
