"""functional_call: call a module with some of its parameters and buffers replaced.

retrograd has no ``nn.Module`` yet, so this works on any callable object whose tensors are
attributes reachable by dotted names (``"layer.weight"``). Replacing is swapping attributes for
the duration of the call (a ``_parameters``/``_buffers`` dict holding the name, PyTorch's module
layout, is written instead when there is one), and the originals are put back afterwards, even
when the call raises. ``tie_weights`` and ``strict`` need the object to list its tensors with
``named_parameters()`` / ``named_buffers()``; an object without them has no tied names and
``strict=True`` raises NotImplementedError for it.
"""
from __future__ import annotations

from collections.abc import Sequence

__all__ = ["functional_call"]


def _named(module, what: str) -> dict | None:
    fn = getattr(module, what, None)
    if fn is None:
        return None
    try:
        return dict(fn(remove_duplicate=False))
    except TypeError:
        return dict(fn())


def _all_named(module) -> dict | None:
    params = _named(module, "named_parameters")
    buffers = _named(module, "named_buffers")
    if params is None and buffers is None:
        return None
    out = dict(params or {})
    out.update(buffers or {})
    return out


def _untie(module, values: dict) -> dict:
    named = _all_named(module)
    if named is None:
        return values
    by_tensor: dict = {}
    for name, t in named.items():
        by_tensor.setdefault(id(t), set()).add(name)
    tied = {n: names for names in by_tensor.values() if len(names) > 1 for n in names}
    given = set(values)
    given_tied = {n for n in given if n in tied}
    for name in given_tied:
        names = tied[name]
        if len(names & given_tied) > 1 and len({id(values[n]) for n in names & given_tied}) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
    out = dict(values)
    for name in given_tied:
        for other in tied[name]:
            out.setdefault(other, values[name])
    return out


def _owner(module, name: str):
    *path, attr = name.split(".")
    obj = module
    for p in path:
        obj = getattr(obj, p)
    return obj, attr


def _swap(module, name: str, value):
    """Put ``value`` at ``name``; returns the old value (a missing attribute: a marker)."""
    obj, attr = _owner(module, name)
    for store in ("_parameters", "_buffers"):
        d = getattr(obj, store, None)
        if isinstance(d, dict) and attr in d:
            old = d[attr]
            d[attr] = value
            return old
    old = getattr(obj, attr, _MISSING)
    setattr(obj, attr, value)
    return old


class _Missing:
    pass


_MISSING = _Missing()


def _restore(module, name: str, old) -> None:
    obj, attr = _owner(module, name)
    for store in ("_parameters", "_buffers"):
        d = getattr(obj, store, None)
        if isinstance(d, dict) and attr in d:
            d[attr] = old
            return
    if old is _MISSING:
        delattr(obj, attr)
    else:
        setattr(obj, attr, old)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with the tensors named in ``parameter_and_buffer_dicts``."""
    if isinstance(parameter_and_buffer_dicts, dict):
        values = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                             "dictionaries")
        counts: dict = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        values = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    untied = _untie(module, values) if tie_weights else values
    if strict:
        named = _all_named(module)
        if named is None:
            raise NotImplementedError("functional_call(strict=True) needs the module to list its "
                                      "tensors with named_parameters() / named_buffers()")
        unexpected = [k for k in untied if k not in named]
        missing = [k for k in named if k not in untied]
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            get_name = getattr(module, "_get_name", None)
            mname = get_name() if get_name is not None else type(module).__name__
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
                mname, "\n\t".join(msgs)))
    swapped = []
    try:
        for name, value in untied.items():
            swapped.append((name, _swap(module, name, value)))
        return module(*args, **kwargs)
    finally:
        for name, old in reversed(swapped):
            _restore(module, name, old)
