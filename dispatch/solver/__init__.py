"""The route planner: plain dataclasses in, a plan out; OR-Tools underneath."""

from dispatch.solver.check import Violation, solution_check
from dispatch.solver.diff import JobMove, PlanDiff, plan_diff
from dispatch.solver.problem import (
    Break,
    Job,
    Objective,
    Problem,
    RoutePlan,
    Solution,
    SolveStatus,
    Unassigned,
    UnassignedReason,
    Vehicle,
    Visit,
)
from dispatch.solver.solve import plan_retime, plan_solve_problem, search_ready, search_threads

__all__ = [
    "Break",
    "Job",
    "JobMove",
    "Objective",
    "PlanDiff",
    "Problem",
    "RoutePlan",
    "Solution",
    "SolveStatus",
    "Unassigned",
    "UnassignedReason",
    "Vehicle",
    "Violation",
    "Visit",
    "plan_diff",
    "plan_retime",
    "plan_solve_problem",
    "search_ready",
    "search_threads",
    "solution_check",
]
