"""Python containers of tensors (PyTorch's "pytrees"): tuples, lists, dicts and named tuples are
nodes, everything else (tensors, numbers, None) is a leaf. Enough of ``torch.utils._pytree`` for
the function transforms, with the same ``TreeSpec`` text in error messages."""
from __future__ import annotations

from typing import Any

__all__ = ["TreeSpec", "LEAF", "tree_flatten", "tree_unflatten", "broadcast_prefix", "pprint"]


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


class TreeSpec:
    """The structure of a container, without its leaves."""

    __slots__ = ("type", "context", "children", "num_leaves")

    def __init__(self, type_, context, children):
        self.type = type_
        self.context = context
        self.children = children
        self.num_leaves = 1 if type_ is None else sum(c.num_leaves for c in children)

    def is_leaf(self) -> bool:
        return self.type is None

    def __eq__(self, other) -> bool:
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (self.type is other.type and self.context == other.context
                and self.children == other.children)

    def __hash__(self):
        return hash((self.type, len(self.children)))

    def _type_name(self) -> str:
        if self.type is _NAMEDTUPLE:
            return "namedtuple"
        return self.type.__name__

    def __repr__(self, indent: int = 0) -> str:
        if self.type is None:
            return "*"
        prefix = f"TreeSpec({self._type_name()}, {self.context}, ["
        body = ""
        if self.children:
            indent += 2
            body += self.children[0].__repr__(indent)
            body += "," if len(self.children) > 1 else ""
            body += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self.children[1:])
        return prefix + body + "])"


class _NAMEDTUPLE:  # marker type of named-tuple specs (the class itself is the context)
    pass


LEAF = TreeSpec(None, None, [])


# (The recursive walks are module-level functions, not closures: a recursive closure is a
# reference cycle, left for the garbage collector on every call of a transform.)


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    leaves: list = []
    spec = _flatten(tree, leaves)
    return leaves, spec


def _flatten(x, leaves: list) -> TreeSpec:
    if _is_namedtuple(x):
        return TreeSpec(_NAMEDTUPLE, type(x), [_flatten(v, leaves) for v in x])
    if type(x) in (tuple, list):
        return TreeSpec(type(x), None, [_flatten(v, leaves) for v in x])
    if type(x) is dict:
        keys = list(x)
        return TreeSpec(dict, keys, [_flatten(x[k], leaves) for k in keys])
    leaves.append(x)
    return LEAF


def tree_unflatten(leaves, spec: TreeSpec) -> Any:
    return _unflatten(iter(leaves), spec)


def _unflatten(it, s: TreeSpec):
    if s.type is None:
        return next(it)
    kids = [_unflatten(it, c) for c in s.children]
    if s.type is _NAMEDTUPLE:
        return s.context(*kids)
    if s.type is dict:
        return dict(zip(s.context, kids))
    return s.type(kids)


def broadcast_prefix(prefix: Any, spec: TreeSpec):
    """``prefix`` (a tree whose leaves may stand for whole subtrees of ``spec``) flattened to one
    entry per leaf of ``spec``; None when the structures do not match."""
    out: list = []
    return out if _broadcast(prefix, spec, out) else None


def _broadcast(p, s: TreeSpec, out: list) -> bool:
    pspec = tree_flatten(p)[1] if not _is_node(p) else None
    if pspec is not None:          # a leaf of the prefix covers the whole subtree
        out.extend([p] * s.num_leaves)
        return True
    if s.type is None:
        return False
    if _is_namedtuple(p):
        if s.type is not _NAMEDTUPLE or s.context is not type(p):
            return False
        kids = list(p)
    elif type(p) is dict:
        if s.type is not dict or set(p) != set(s.context):
            return False
        kids = [p[k] for k in s.context]
    else:
        if s.type is not type(p):
            return False
        kids = list(p)
    if len(kids) != len(s.children):
        return False
    return all(_broadcast(k, c, out) for k, c in zip(kids, s.children))


def _is_node(x) -> bool:
    return type(x) in (tuple, list, dict) or _is_namedtuple(x)


class _Star:
    def __repr__(self) -> str:
        return "*"


def pprint(spec: TreeSpec) -> str:
    """PyTorch's ``treespec_pprint``: the container printed with ``*`` for each leaf."""
    return repr(tree_unflatten([_Star()] * spec.num_leaves, spec))
