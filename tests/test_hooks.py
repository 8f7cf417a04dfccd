"""Hooks and graph introspection, scenario by scenario against torch 2.13: tensor hooks, node
pre-/post-hooks, their order and argument tuples, AccumulateGrad hooks, hooks under
``autograd.grad`` and ``backward(inputs=...)``, saved-tensor hooks, multi-grad hooks,
``increment_version`` and the ``Node`` API (``name``, ``metadata``, ``next_functions``)."""
from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

from _both import both

X2 = np.array([1.0, 2.0], dtype=np.float32)
W2 = np.array([3.0, 4.0], dtype=np.float32)


def leaf(T: Any, values: Any = X2) -> Any:
    return T.tensor(np.asarray(values), requires_grad=True)


def snap(g: Any) -> Any:
    return None if g is None else g.detach().clone()


def snaps(gs: Any) -> Any:
    return tuple(snap(g) for g in gs)


# --------------------------------------------------------------------------------------------
# Order and arguments
# --------------------------------------------------------------------------------------------
def test_hook_order_tensor_hooks_then_retain_grad_then_node_prehooks_then_posthooks() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaf(T), leaf(T, W2)
        y = x * w
        log = []
        y.grad_fn.register_prehook(lambda go: log.append(("pre", snaps(go))))
        y.register_hook(lambda g: log.append(("tensor", snap(g))))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post", snaps(gi), snaps(go))))
        y.retain_grad()
        y.register_hook(lambda g: g * 10)
        y.grad_fn.register_prehook(lambda go: (go[0] + 1,))
        y.grad_fn.register_prehook(lambda go: log.append(("pre2", snaps(go))))
        y.sum().backward()
        return log, x.grad, w.grad, y.grad

    both(scenario)


def test_accumulate_grad_hooks_order_and_arguments() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = x * 2
        acc = y.grad_fn.next_functions[0][0]
        log = []
        acc.register_prehook(lambda go: log.append(("accpre", snaps(go))))
        acc.register_hook(lambda gi, go: log.append(("accpost", snaps(gi), snaps(go))))
        x.register_hook(lambda g: log.append(("leaf", snap(g))))
        x.register_post_accumulate_grad_hook(lambda t: log.append(("postacc", snap(t.grad))))
        y.sum().backward()
        return log, acc.name(), acc.variable is x, acc.next_functions, acc.metadata

    both(scenario)


def test_post_hook_replaces_grad_inputs_and_none_drops_one() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaf(T), leaf(T, W2)
        y = x * w
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0 + 7, None))
        y.sum().backward()
        return x.grad, w.grad

    both(scenario)


def test_prehook_replaces_grad_outputs() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = x.exp()
        y.grad_fn.register_prehook(lambda go: (go[0] * 3,))
        y.sum().backward()
        return x.grad

    both(scenario)


BAD_POST = {
    "too_few": lambda gi, go: (gi[0],),
    "not_tuple": lambda gi, go: gi[0],
    "list": lambda gi, go: [gi[0], gi[1]],
    "float": lambda gi, go: (gi[0], 1.0),
    "size": lambda gi, go: (gi[0], gi[1][:1]),
    "dtype": lambda gi, go: (gi[0].double(), None),
}


@pytest.mark.parametrize("name", list(BAD_POST))
def test_post_hook_results_are_checked(name: str) -> None:
    def scenario(T: Any) -> Any:
        y = leaf(T) * leaf(T, W2)
        y.grad_fn.register_hook(BAD_POST[name])
        y.sum().backward()

    assert both(scenario).error is not None


BAD_PRE = {
    "not_tuple": lambda go: go[0],
    "too_many": lambda go: (go[0], go[0]),
    "size": lambda go: (go[0][:1],),
    "dtype": lambda go: (go[0].double(),),
    "none_is_fine": lambda go: (None,),
}


@pytest.mark.parametrize("name", list(BAD_PRE))
def test_prehook_results_are_checked(name: str) -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = x * leaf(T, W2)
        y.grad_fn.register_prehook(BAD_PRE[name])
        y.sum().backward()
        return x.grad

    both(scenario)


def named_hook(g: Any) -> Any:
    return g[:1]


BAD_TENSOR_HOOK = {
    "float": lambda g: 1.0,
    "size_named": named_hook,
    "size_partial": functools.partial(lambda k, g: g[:k], 1),
    "dtype": lambda g: g.double(),
}


@pytest.mark.parametrize("name", list(BAD_TENSOR_HOOK))
@pytest.mark.parametrize("on_leaf", [False, True])
def test_tensor_hook_results_are_checked(name: str, on_leaf: bool) -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = x * 2
        (x if on_leaf else y).register_hook(BAD_TENSOR_HOOK[name])
        y.sum().backward()

    assert both(scenario).error is not None


def test_removed_node_hooks_do_not_run() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = x * 2
        log = []
        h1 = y.grad_fn.register_prehook(lambda go: log.append("pre"))
        h2 = y.grad_fn.register_hook(lambda gi, go: log.append("post"))
        h1.remove()
        with h2:
            pass
        y.sum().backward()
        return log, x.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# Undefined gradients reach hooks as None
# --------------------------------------------------------------------------------------------
def test_hooks_see_none_for_outputs_without_gradient() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        a, b = x.unbind()
        log = []
        a.register_hook(lambda g: log.append(("a", snap(g))))
        b.register_hook(lambda g: log.append(("b", snap(g))))
        a.grad_fn.register_prehook(lambda go: log.append(("pre", snaps(go))))
        (b * 2).backward()
        return log, x.grad

    both(scenario)


def test_hook_may_not_replace_a_none_gradient() -> None:
    def scenario(T: Any) -> Any:
        a, b = leaf(T).unbind()
        a.register_hook(lambda g: T.ones(()))
        (b * 2).backward()

    both(scenario)


def test_nodes_that_receive_no_gradient_still_run_their_hooks() -> None:
    def scenario(T: Any) -> Any:
        class NoGrad(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 3

            @staticmethod
            def backward(ctx, g):
                return None

        log = []
        x = leaf(T)
        x.register_hook(lambda g: log.append(("leaf", snap(g))))
        x.register_post_accumulate_grad_hook(lambda t: log.append(("postacc", snap(t.grad))))
        y = x * 2
        y.register_hook(lambda g: log.append(("y", snap(g))))
        y.retain_grad()
        y.grad_fn.register_prehook(lambda go: log.append(("pre", snaps(go))))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post", snaps(gi), snaps(go))))
        NoGrad.apply(y).sum().backward()
        return log, x.grad, y.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# autograd.grad and backward(inputs=...)
# --------------------------------------------------------------------------------------------
def test_grad_runs_leaf_hooks_on_the_captured_gradient() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        x.register_hook(lambda g: g * 100)
        return T.autograd.grad((x * 2).sum(), x), x.grad

    both(scenario)


def test_grad_captures_a_needed_node_before_its_tensor_hooks() -> None:
    # PyTorch's ordering: y's node is needed (it leads to x), so y's gradient is captured before
    # y's tensor hooks run; x's gradient sees the hook.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = x * 2
        z = y * 3
        y.register_hook(lambda g: g * 100)
        return T.autograd.grad(z.sum(), [y, x])

    both(scenario)


def test_grad_does_not_run_a_captured_only_node() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = x * 2
        y.retain_grad()
        z = y * 3
        log = []
        y.grad_fn.register_prehook(lambda go: log.append("pre"))
        y.grad_fn.register_hook(lambda gi, go: log.append("post"))
        g = T.autograd.grad(z.sum(), y)
        return g, log, y.grad, x.grad

    both(scenario)


def test_grad_skips_a_captured_node_whose_saved_tensor_changed() -> None:
    # The node of the input is not run by autograd.grad, so its stale saved tensor is no error.
    def scenario(T: Any) -> Any:
        a = leaf(T).clone()
        y = a.exp()
        z = y * 3
        a.add_(1)
        return T.autograd.grad(z.sum(), y)

    both(scenario)


def test_backward_with_inputs_runs_the_input_node_but_not_beyond() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaf(T), leaf(T, W2)
        log = []
        w.register_hook(lambda g: log.append("w hook"))
        y = x * w
        z = y * 3
        y.grad_fn.register_prehook(lambda go: log.append(("pre", snaps(go))))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post", snaps(gi), snaps(go))))
        z.sum().backward(inputs=[y])
        (x * w).sum().backward(inputs=[x])
        return log, y.grad, x.grad, w.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# Node API
# --------------------------------------------------------------------------------------------
def test_node_api() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = (x * 2).exp()
        node = y.grad_fn
        node.metadata["tag"] = 1
        mul = node.next_functions[0][0]
        return (isinstance(node, T.autograd.graph.Node),
                isinstance(mul.next_functions[0][0], T.autograd.graph.Node),
                node.name(), node.next_functions, node.metadata, type(node.metadata),
                mul._sequence_nr() < node._sequence_nr(), type(node._sequence_nr()),
                node.metadata is node.metadata, hasattr(node.register_hook(lambda *a: None),
                                                       "remove"))

    both(scenario)


# --------------------------------------------------------------------------------------------
# saved_tensors_hooks, save_on_cpu, disable_saved_tensors_hooks
# --------------------------------------------------------------------------------------------
def test_pack_and_unpack_hooks_run_for_each_saved_tensor() -> None:
    def scenario(T: Any) -> Any:
        log = []

        def pack(t):
            log.append(("pack", snap(t), t.requires_grad, t.grad_fn, T.is_grad_enabled()))
            return t.detach() * 1

        def unpack(p):
            log.append(("unpack", snap(p), T.is_grad_enabled()))
            return p

        x = leaf(T)
        with T.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = x.exp()          # saves its result
            z = y.sin()          # saves its input
        n_packs = len(log)
        saved = z.grad_fn._saved_self
        n_after_access = len(log)
        z.sum().backward()
        return n_packs, saved, n_after_access, log, x.grad

    both(scenario)


def test_pack_receives_the_input_tensor_itself() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        got = []
        with T.autograd.graph.saved_tensors_hooks(lambda t: got.append(t is x) or t.detach(),
                                                  lambda p: p):
            x.sin()
        return got

    both(scenario)


def test_saved_tensor_hooks_skip_the_version_check() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaf(T), leaf(T, W2)
        with T.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda p: p):
            c = x.clone()
            y = c * w
        c.add_(1)
        y.sum().backward()
        return w.grad

    both(scenario)


def test_unpack_hook_must_return_a_tensor() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        with T.autograd.graph.saved_tensors_hooks(lambda t: 5, lambda p: p):
            y = x.sin()
        y.sum().backward()

    both(scenario)


def test_pack_hook_may_not_modify_its_input() -> None:
    def scenario(T: Any) -> Any:
        c = leaf(T).detach()
        with T.autograd.graph.saved_tensors_hooks(lambda t: t.add_(1), lambda p: p):
            return c * leaf(T, W2)

    both(scenario)


def test_only_the_innermost_hooks_apply() -> None:
    def scenario(T: Any) -> Any:
        log = []
        hooks = T.autograd.graph.saved_tensors_hooks
        with hooks(lambda t: log.append("outer") or t.detach(), lambda p: p):
            with hooks(lambda t: log.append("inner") or t.detach(), lambda p: p):
                leaf(T).sin()
            leaf(T).sin()
        return log

    both(scenario)


def test_double_backward_through_unpacked_tensors() -> None:
    def scenario(T: Any) -> Any:
        a, b = leaf(T), leaf(T, W2)
        with T.autograd.graph.saved_tensors_hooks(lambda t: t.detach(), lambda p: p):
            y = (a * a * b).exp().sum()
        (g,) = T.autograd.grad(y, a, create_graph=True)
        g.sum().backward()
        return g, a.grad, b.grad

    both(scenario)


def test_unpack_runs_at_each_backward_and_freed_graph_still_raises() -> None:
    def scenario(T: Any) -> Any:
        log = []
        x = leaf(T)
        with T.autograd.graph.saved_tensors_hooks(lambda t: log.append("p") or t.detach(),
                                                  lambda p: log.append("u") or p):
            y = x.exp().sum()
        y.backward(retain_graph=True)
        y.backward()
        try:
            y.backward()
        except RuntimeError as e:
            return log, x.grad, str(e)

    both(scenario)


def test_custom_function_saved_tensors_go_through_the_hooks() -> None:
    def scenario(T: Any) -> Any:
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x * 2
                ctx.save_for_backward(x, y)
                return y

            @staticmethod
            def backward(ctx, g):
                x, y = ctx.saved_tensors
                return g * x * y

        log = []
        x = leaf(T)
        with T.autograd.graph.saved_tensors_hooks(lambda t: log.append(snap(t)) or t.detach(),
                                                  lambda p: log.append("u") or p):
            out = F.apply(x)
        out.sum().backward()
        return log, x.grad

    both(scenario)


def test_save_on_cpu_gives_the_same_gradients() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaf(T), leaf(T, W2)
        with T.autograd.graph.save_on_cpu():
            y = ((x * w).exp() * x).sum()
        y.backward()
        return y, x.grad, w.grad

    both(scenario)


def test_disable_saved_tensors_hooks() -> None:
    def scenario(T: Any) -> Any:
        graph = T.autograd.graph
        with graph.disable_saved_tensors_hooks("hooks are off here"):
            x = leaf(T)
            y = x.sin()      # saving still works
            try:
                with graph.save_on_cpu():
                    pass
            except RuntimeError as e:
                err = str(e)
        with graph.saved_tensors_hooks(lambda t: t, lambda p: p):
            pass             # allowed again
        y.sum().backward()
        return err, x.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# register_multi_grad_hook, increment_version
# --------------------------------------------------------------------------------------------
def test_multi_grad_hook_all_mode() -> None:
    def scenario(T: Any) -> Any:
        a, b, c = leaf(T, [1.0]), leaf(T, [2.0]), leaf(T, [3.0])
        log = []
        h = T.autograd.graph.register_multi_grad_hook((a, b, c),
                                                      lambda gs: log.append(snaps(gs)))
        (a * b).sum().backward()
        (a * b * c).sum().backward()
        z = a * 1
        h2 = T.autograd.graph.register_multi_grad_hook((z, b), lambda gs: log.append(snaps(gs)))
        h.remove()
        T.autograd.grad((z * b).sum(), [a])
        h2.remove()
        (a * b).sum().backward()
        return log

    both(scenario)


def test_multi_grad_hook_any_mode_and_errors() -> None:
    def scenario(T: Any) -> Any:
        a, b = leaf(T, [1.0]), leaf(T, [2.0])
        log = []
        T.autograd.graph.register_multi_grad_hook((a, b), lambda g: log.append(snap(g)),
                                                  mode="any")
        (a * b).sum().backward()
        errors = []
        try:
            T.autograd.graph.register_multi_grad_hook((a, b), print, mode="foo")
        except ValueError as e:
            errors.append(str(e))
        h = T.autograd.graph.register_multi_grad_hook((a, b), lambda gs: None)
        try:
            T.autograd.grad((a * b).sum(), [a])
        except RuntimeError as e:
            errors.append(str(e))
        h.remove()
        return log, errors

    both(scenario)


def test_increment_version() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        z = x * 2
        y = z.exp()
        v0 = z._version
        T.autograd.graph.increment_version(z)
        T.autograd.graph.increment_version([z, x.detach()])
        try:
            T.autograd.graph.increment_version(3)
        except RuntimeError as e:
            err = str(e)
        try:
            (y * z).sum().backward()
        except RuntimeError as e:
            return v0, z._version, err, str(e)

    both(scenario)


def test_post_accumulate_grad_hook_rules() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        log = []
        x.register_post_accumulate_grad_hook(lambda t: log.append(snap(t.grad)))
        (x * 3).sum().backward()
        (x * 3).sum().backward()
        errors = []
        for ret in (5, T.ones(2)):
            z = leaf(T)
            z.register_post_accumulate_grad_hook(lambda t: ret)
            try:
                (z * 3).sum().backward()
            except (RuntimeError, TypeError) as e:
                errors.append((type(e).__name__, str(e)))
        for t in (x * 2, T.ones(2)):
            try:
                t.register_post_accumulate_grad_hook(lambda t: None)
            except RuntimeError as e:
                errors.append(str(e))
        return log, x.grad, errors

    both(scenario)


@pytest.mark.parametrize("case", ["pack_unpack", "twice", "after_free", "none_value",
                                  "bad_unpack", "default_hooks_set", "bad_arguments",
                                  "offload_copy"])
def test_raw_saved_tensor_register_hooks(case):
    """grad_fn._raw_saved_<name>.register_hooks(pack, unpack): hooks for one saved tensor."""
    def scenario(T):
        log = []
        a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = a.exp()
        raw = y.grad_fn._raw_saved_result
        if case == "pack_unpack":
            raw.register_hooks(lambda x: (log.append("pack"), x * 1)[1],
                               lambda x: (log.append("unpack"), x)[1])
            first = list(log)
            value = y.grad_fn._saved_result
            y.sum().backward()
            return [type(raw).__name__, "_raw_saved_result" in dir(y.grad_fn), first, value,
                    a.grad, log]
        if case == "twice":
            raw.register_hooks(lambda x: x, lambda x: x)
            raw.register_hooks(lambda x: x, lambda x: x)
        if case == "after_free":
            y.sum().backward()
            y.grad_fn._raw_saved_result.register_hooks(lambda x: x, lambda x: x)
        if case == "none_value":
            (a * 2).grad_fn._raw_saved_self.register_hooks(lambda x: x, lambda x: x)
        if case == "bad_unpack":
            w = a.sin()
            w.grad_fn._raw_saved_self.register_hooks(lambda x: 5, lambda x: x)
            return w.grad_fn._saved_self
        if case == "default_hooks_set":
            with T.autograd.graph.saved_tensors_hooks(lambda x: x, lambda x: x):
                v = a.cos()
            v.grad_fn._raw_saved_self.register_hooks(lambda x: x, lambda x: x)
        if case == "bad_arguments":
            try:
                raw.register_hooks(lambda x: x)
            except TypeError as e:
                return str(e).split("Invoked with")[0]
        if case == "offload_copy":
            d = a * 1
            e = d.pow(2)
            e.grad_fn._raw_saved_self.register_hooks(lambda x: x.detach().clone(), lambda x: x)
            e.sum().backward()
            return a.grad
    both(scenario)
