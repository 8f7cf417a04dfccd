"""The explainer's HTML page: self-contained, and stepped through in a real headless browser.

The browser is Debian's chromium (``/usr/bin/chromium``) driven by playwright; ``.ci/run``
installs both, and the browser tests skip (saying which is missing) only where they are absent.
Each browser test loads the page from a file, steps with the buttons and the arrow keys, checks
that the highlighted SVG node and the numbers shown are the recording's (and the hand-computed
ones of the seed's example), and saves a screenshot into its tmp_path (the path is printed)."""
from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

import retrograd as rt
from retrograd import nn
from retrograd.autograd import explain
from retrograd.viz import explain_html

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HAVE_DOT = explain_html.shutil.which("dot") is not None
LAYOUTS = ["builtin", pytest.param("dot", marks=pytest.mark.skipif(
    not HAVE_DOT, reason="graphviz's dot binary is not installed (.ci/run installs it)"))]


def seed_example():
    """The seed's ``z = x * y; z.backward(v)``, with a v that is not all ones."""
    x = rt.tensor([0.0, 2.0, 8.0], requires_grad=True)
    y = rt.tensor([5.0, 1.0, 7.0], requires_grad=True)
    z = x * y
    with explain(params={"x": x, "y": y}) as rec:
        z.backward(rt.tensor([1.0, 0.5, -2.0]))
    return rec


def mlp_step():
    rt.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 5), nn.Tanh(), nn.Linear(5, 3))
    x, y = rt.randn(2, 4), rt.tensor([0, 2])
    loss = nn.functional.cross_entropy(model(x), y)
    with explain(params=model) as rec:
        loss.backward()
    return rec


def numbers(text: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|-?inf|nan",
                                                  text)])


def embedded(page_text: str) -> dict:
    m = re.search(r'<script type="application/json" id="rg-data">(.*?)</script>', page_text, re.S)
    return json.loads(m.group(1))


# -- the file itself -------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_page_is_one_self_contained_file_whose_svg_ids_map_to_records(tmp_path, layout):
    rec = mlp_step()
    path = rec.to_html(tmp_path / "mlp.html", layout=layout)
    text = open(path, encoding="utf-8").read()
    # nothing fetched: no links, no sources, no URLs but the SVG namespace names
    assert not re.search(r"<link|<img|<iframe|\bsrc=|@import|url\(http", text)
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) <= {"http://www.w3.org/2000/svg",
                                                             "http://www.w3.org/1999/xlink"}
    for gid in rec.graph:
        assert re.search(r'<g id="rgnode-%d" data-node="%d" class="node rg-op' % (gid, gid), text)
    data = embedded(text)
    assert [r["node_id"] for r in data["records"]] == [r.node_id for r in rec]
    assert data["records"][0]["grad_in"][0]["values"] == rec[0].grad_in[0].values
    assert ("<title>n0</title>" in text) == (layout == "dot")   # graphviz names its groups


def test_layout_choice(tmp_path, monkeypatch):
    rec = seed_example()
    with pytest.raises(ValueError, match="layout must be"):
        rec.to_html(tmp_path / "a.html", layout="neato")
    monkeypatch.setattr(explain_html.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="needs graphviz's dot binary"):
        rec.to_html(tmp_path / "a.html", layout="dot")
    text = open(rec.to_html(tmp_path / "a.html"), encoding="utf-8").read()   # auto: builtin
    assert "<title>MulBackward0 #0</title>" in text


# -- in the browser --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright; .ci/run installs the "
                    "test extra, which has it)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian's chromium is not at {CHROMIUM} (apt-get install chromium "
                    "chromium-driver; .ci/run installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, path):
    page = browser.new_page(viewport={"width": 1280, "height": 820})
    problems, requests = [], []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    return page, problems, requests


def current(page):
    ids = page.eval_on_selector_all("g.node.current", "els => els.map(e => e.id)")
    assert len(ids) == 1
    return ids[0]


def shown_values(page, selector):
    return numbers(page.inner_text(selector + " td.values"))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_stepping_through_the_seeds_example_in_a_browser(browser, tmp_path, layout):
    rec = seed_example()
    mul, acc_x, acc_y = rec.records
    path = tmp_path / "seed.html"
    rec.to_html(path, layout=layout)
    page, problems, requests = open_page(browser, path)
    assert page.inner_text("#rg-step") == "Step 1 / 3"
    assert current(page) == "rgnode-%d" % mul.node_id
    assert page.get_attribute("g.node.current", "data-node") == str(mul.node_id)
    assert page.inner_text("#rg-node-name").startswith("MulBackward0 #%d" % mul.node_id)
    assert page.inner_text("#rg-formula") == mul.formula
    assert page.is_disabled("#rg-prev") and not page.is_disabled("#rg-next")
    # the VJP shown: v in, v * y and v * x out (hand-computed), as recorded
    np.testing.assert_array_equal(shown_values(page, "#rg-grad-in tr[data-output='0']"),
                                  [1.0, 0.5, -2.0])
    for e, want in zip(mul.grads_out, ([5.0, 0.5, -14.0], [0.0, 1.0, -16.0])):
        row = "#rg-grads-out tr[data-edge='%d']" % e.index
        assert page.get_attribute(row, "data-target") == str(e.node_id)
        np.testing.assert_array_equal(shown_values(page, row), want)
        np.testing.assert_array_equal(shown_values(page, row), e.grad.values)
        assert "rg-active" in page.get_attribute("#rgedge-%d-%d-%d" % (e.node_id, mul.node_id,
                                                                        e.index), "class")
    shot = tmp_path / ("seed-step1-%s.png" % layout)
    page.screenshot(path=str(shot), full_page=True)
    print("screenshot:", shot)
    page.click("#rg-next")
    assert page.inner_text("#rg-step") == "Step 2 / 3"
    assert current(page) == "rgnode-%d" % acc_x.node_id
    assert page.inner_text("#rg-leaf") == "x (3,): gradient added into .grad"
    np.testing.assert_array_equal(shown_values(page, "#rg-grad-in tr[data-output='0']"),
                                  [5.0, 0.5, -14.0])
    assert "done" in page.get_attribute("#rgnode-%d" % mul.node_id, "class")
    page.keyboard.press("ArrowRight")
    assert (page.inner_text("#rg-step"), current(page)) == ("Step 3 / 3",
                                                            "rgnode-%d" % acc_y.node_id)
    np.testing.assert_array_equal(shown_values(page, "#rg-grad-in tr[data-output='0']"),
                                  [0.0, 1.0, -16.0])
    assert page.is_disabled("#rg-next")
    page.keyboard.press("ArrowRight")                  # past the end: stays
    assert page.inner_text("#rg-step") == "Step 3 / 3"
    page.keyboard.press("ArrowLeft")
    assert current(page) == "rgnode-%d" % acc_x.node_id
    page.click("#rg-list li[data-step='0']")
    assert page.inner_text("#rg-step") == "Step 1 / 3"
    page.click("#rgnode-%d" % acc_y.node_id)            # a click on a node jumps to its step
    assert page.inner_text("#rg-step") == "Step 3 / 3"
    assert problems == []
    assert all(u.startswith("file://") for u in requests)
    page.close()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_step_of_an_mlp_training_step_in_a_browser(browser, tmp_path, layout):
    rec = mlp_step()
    path = tmp_path / "mlp.html"
    rec.to_html(path, layout=layout)
    page, problems, _ = open_page(browser, path)
    for k, r in enumerate(rec):
        assert page.inner_text("#rg-step") == "Step %d / %d" % (k + 1, len(rec))
        assert current(page) == "rgnode-%d" % r.node_id
        assert page.inner_text("#rg-status") == r.status
        if r.name == "AccumulateGrad":
            assert page.inner_text("#rg-leaf").startswith(rec.graph[r.node_id].leaf + " (")
        else:
            targets = page.eval_on_selector_all("#rg-grads-out tr[data-edge]",
                                                "els => els.map(e => e.dataset.target)")
            assert targets == ["" if e.node_id is None else str(e.node_id) for e in r.grads_out]
            for e in r.grads_out:
                if e.grad is not None and e.grad.values is not None:
                    got = shown_values(page, "#rg-grads-out tr[data-edge='%d']" % e.index)
                    np.testing.assert_allclose(got, np.ravel(e.grad.values), rtol=1e-3,
                                               atol=1e-6)   # shown with 4 significant digits
        if k == 6:
            shot = tmp_path / ("mlp-step%d-%s.png" % (k + 1, layout))
            page.screenshot(path=str(shot), full_page=True)
            print("screenshot:", shot)
        page.keyboard.press("ArrowRight")
    assert problems == []
    page.close()
