"""The quality benchmark reports each solver's gap at several shares of the time limit."""

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "vrptw.py"
_SPEC = importlib.util.spec_from_file_location("vrptw", _PATH)
vrptw = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("vrptw", vrptw)  # its dataclasses look their module up there
_SPEC.loader.exec_module(vrptw)

# Five customers on a line east of the depot, with all day to reach them: one van out
# to the last and back, 100 units, is the best plan.
INSTANCE = """LINE5

VEHICLE
NUMBER     CAPACITY
  3         100

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0       1000          0
    1      10         0          10         0       1000          5
    2      20         0          10         0       1000          5
    3      30         0          10         0       1000          5
    4      40         0          10         0       1000          5
    5      50         0          10         0       1000          5
"""


@pytest.fixture
def data_dir(tmp_path):
    (tmp_path / "instances").mkdir()
    (tmp_path / "instances" / "line5.txt").write_text(INSTANCE)
    (tmp_path / "bks.csv").write_text(
        "instance,customers,vehicles,distance,objective_note,source\n"
        "LINE5,5,1,100.0,distance_only_dimacs: out and back,worked out by hand\n"
    )
    return tmp_path


def test_each_solver_is_measured_at_every_share_of_the_time_limit(data_dir, capsys):
    vrptw.main(["line5", "--data-dir", str(data_dir), "--time-limit", "1", "--fractions", "0.5,1"])

    out = capsys.readouterr().out
    assert "also solved with 50 % of it" in out
    header = next(line for line in out.splitlines() if line.startswith("instance"))
    assert header.split() == ["instance", "solver", "veh", "distance", "ref", "gap@50%", "gap", "%", "feasible", "s"]
    rows = {line.split()[1]: line.split() for line in out.splitlines() if line.startswith("LINE5")}
    # Both solvers find the best plan with half the limit and with all of it.
    for solver in ("planner", "pyvrp"):
        assert rows[solver][3:8] == ["100.00", "100.00", "0.00", "0.00", "yes"]
        for share in ("50 %", "100 %"):
            assert f"{solver:<9} at {share:>5} of the limit  mean gap   0.00 %" in out


def test_a_share_of_the_limit_outside_zero_to_one_is_refused_with_what_to_give(data_dir, capsys):
    with pytest.raises(SystemExit) as exit_:
        vrptw.main(["line5", "--data-dir", str(data_dir), "--fractions", "0.5,2"])

    assert exit_.value.code == 2
    assert "each share must be above 0 and at most 1" in capsys.readouterr().err
