"""PyTorch programs run unchanged under retrograd and print what PyTorch prints.

Each script in ``tests/programs/`` is an ordinary PyTorch program (``import torch``); it runs once
under PyTorch and once under retrograd (``tests/_programs.py``: ``torch`` aliased to retrograd,
one forked child per program), and the two outputs are compared line by line: text exactly,
numbers to their printed precision (plus the program's ``# rtol:``), errors by type and message.
"""
from __future__ import annotations

import pytest

from _programs import PROGRAMS, collect, compare, finish, rtol_of

PATHS = sorted(str(p) for p in PROGRAMS.glob("*.py"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out_dir = str(tmp_path_factory.mktemp("programs"))
    procs = {lib: collect(lib, PATHS, out_dir) for lib in ("torch", "retrograd")}
    return {lib: finish(p) for lib, p in procs.items()}


@pytest.mark.parametrize("path", PATHS, ids=[p.rsplit("/", 1)[-1][:-3] for p in PATHS])
def test_program_prints_what_torch_prints(outputs, path):
    expected, got = outputs["torch"][path], outputs["retrograd"][path]
    assert expected.strip(), "the program printed nothing under torch"
    diff = compare(expected, got, rtol_of(path))
    assert diff is None, diff
