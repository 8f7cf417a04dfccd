"""PyTorch's argument-parser messages for an op with several overloads, worded as
torch/csrc/utils/invalid_arguments.cpp words them.

``invalid_args(method_options, function_options)`` is the TypeError an op raises when its
arguments fit none of its overloads; the public wrapper (``_dispatch._wrapper``) calls its
``_rg_format`` with the op's public name and the arguments as the user wrote them, so that
``x.narrow('a', 0, 1)`` and ``torch.narrow(x, 'a', 0, 1)`` each get their own text:

    narrow() received an invalid combination of arguments - got (str, int, int), but expected
    one of:
     * (int dim, Tensor start, int length)
          didn't match because some of the arguments have invalid types: (!str!, !int!, int)
     ...

``seq_element_error(value, i)`` is the parser's message for an int-list argument whose element
``i`` is not an int (element 0: "must be tuple of ints, but found element of type str at pos 0";
a later one: "failed to unpack the object at pos i+1 ...")."""
from __future__ import annotations

from .._size import is_int

__all__ = ["invalid_args", "format_invalid_args", "seq_element_error", "check_int_list",
           "varargs_error"]


def _typename(v) -> str:
    return type(v).__name__


def _matches(type_name: str, v) -> bool:
    """invalid_arguments.cpp's ``is_matching``: by the Python type's name only ("tuple of ints",
    "Number", ... never match)."""
    t = _typename(v)
    if type_name == "float":
        return t in ("float", "int", "long")
    if type_name == "int":
        return t in ("int", "long")
    return t == type_name


def _arguments(option: str) -> list:
    """The (type, name) of each comma-separated part of an option such as
    "(int dim, bool keepdim = False)" (as the C++ splits it: "()" has one empty part)."""
    parts = []
    for arg in option[1:-1].split(", "):
        cut = arg.rfind(" ")
        parts.append((arg[:cut] if cut >= 0 else "", arg[cut + 1:]))
    return parts


def _desc(v) -> str:
    if isinstance(v, (tuple, list)):
        inner = ", ".join(_typename(e) for e in v)
        if isinstance(v, tuple):
            return f"tuple of ({inner}{',' if len(v) == 1 else ''})"
        return f"list of [{inner}]"
    return _typename(v)


def _marked(parts: list, args: tuple, kwargs: dict) -> str:
    out = []
    for i in range(len(args) + len(kwargs)):
        kw = i >= len(args)
        name = parts[i][1] if i < len(parts) else None
        v = kwargs.get(name) if kw else args[i]
        ok = i < len(parts) and _matches(parts[i][0], v)
        text = (f"{name}=" if kw else "") + _desc(v)
        out.append(text if ok else f"!{text}!")
    s = "(" + ", ".join(out)
    return s + (")" if args else ", )")


def format_invalid_args(name: str, args: tuple, kwargs: dict, options: tuple) -> str:
    """The message for ``name(*args, **kwargs)`` fitting none of ``options`` (more than one)."""
    # the keywords are read back from a std::unordered_map: the last given first
    kws = list(reversed(kwargs))
    kwargs = {k: kwargs[k] for k in kws}
    got = ", ".join([_typename(a) for a in args] + [f"{k}={_typename(v)}" for k, v in
                                                    kwargs.items()])
    if kwargs and not args:
        got += ", "
    lines = [f"{name}() received an invalid combination of arguments - got ({got}), but "
             "expected one of:"]
    for option in options:
        lines.append(f" * {option}")
        parts = _arguments(option)
        if len(parts) != len(args) + len(kwargs):
            continue
        first = len(parts) - len(kwargs)
        names = [p[1] for p in parts[first:]]
        wrong = [k for k in kwargs if k not in names]
        if wrong:
            lines.append("      didn't match because some of the keywords were incorrect: "
                         + ", ".join(wrong))
        else:
            lines.append("      didn't match because some of the arguments have invalid types: "
                         + _marked(parts, args, kwargs))
    return "\n".join(lines) + "\n"


def invalid_args(method_options: tuple, function_options: tuple,
                 fname: str | None = None) -> TypeError:
    """The TypeError of arguments that fit none of the op's overloads; the public wrapper words
    it for the way the op was called (as a Tensor method or as a function); ``fname``: the name
    PyTorch says, if not the public name the op was called by."""
    def fmt(name, args, kwargs, method):
        return TypeError(format_invalid_args(
            fname or name, tuple(args[1:] if method else args), dict(kwargs),
            method_options if method else function_options))
    e = TypeError(format_invalid_args("op", (), {}, function_options))
    e._rg_format = fmt
    return e


def _position(param: str, value, args, kwargs, method: bool) -> str:
    if param in kwargs:
        return ""
    k = next((k for k, a in enumerate(args) if a is value), 0)
    return f" (position {k + (not method)})"


def seq_element_error(param: str, value, i: int, fname: str | None = None) -> TypeError:
    """A list/tuple of ints (argument ``param``) whose element ``i`` is not an int; ``fname``:
    the name PyTorch's parser says (default: the public name the op was called by)."""
    t = _typename(value[i])

    def fmt(name, args, kwargs, method):
        name = fname or name
        if i:
            return TypeError(f"{name}(): argument '{param}' failed to unpack the object at pos "
                             f'{i + 1} with error "type must be tuple of ints,but got {t}"')
        if param in kwargs:   # (a keyword's list is not unpacked element by element)
            return TypeError(f"{name}(): argument '{param}' must be tuple of ints, not "
                             f"{_typename(value)}")
        where = _position(param, value, args, kwargs, method)
        return TypeError(f"{name}(): argument '{param}'{where} must be tuple of ints, but found "
                         f"element of type {t} at pos {i}")
    e = TypeError(f"argument '{param}' must be tuple of ints, but found element of type {t} at "
                  f"pos {i}")
    e._rg_format = fmt
    return e


def check_int_list(param: str, value, fname: str | None = None, optional: bool = True) -> None:
    """Argument ``param`` as PyTorch's parser reads an ``int[1]`` (an int, a list/tuple of ints,
    or None when ``optional``), with its TypeErrors."""
    if (value is None and optional) or is_int(value):
        return
    if isinstance(value, (list, tuple)):
        bad = next((i for i, e in enumerate(value) if not is_int(e)), None)
        if bad is not None:
            raise seq_element_error(param, value, bad, fname)
        return
    t = _typename(value)

    def fmt(name, args, kwargs, method):
        return TypeError(f"{fname or name}(): argument '{param}'"
                         f"{_position(param, value, args, kwargs, method)} must be tuple of ints, "
                         f"not {t}")
    e = TypeError(f"argument '{param}' must be tuple of ints, not {t}")
    e._rg_format = fmt
    raise e


def varargs_error(n_given: int) -> TypeError:
    """A method taking one int list, given several arguments whose first is not an int
    (``x.permute('a', 0)``): Python's own arity message, as PyTorch's parser gives it."""
    def fmt(name, args, kwargs, method):
        takes = "1 positional argument" if method else "2 positional arguments"
        return TypeError(f"{name}() takes {takes} but {len(args) - method} were given")
    e = TypeError(f"takes 1 positional argument but {n_given} were given")
    e._rg_format = fmt
    return e
