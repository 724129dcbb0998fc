"""Quality benchmark: the planner on Solomon / Gehring-Homberger VRPTW instances.

Each instance is solved through the same `plan_solve_problem` the product uses, with a
distance-only objective (no vehicle penalty). Coordinates are scaled to integers;
travel times are rounded up so that an integer-feasible plan stays feasible with exact
Euclidean times. Distances reported are exact Euclidean, recomputed from the routes,
and feasibility is re-checked here with floats from the raw file. PyVRP, run on the
same scaled data and time limit, is the peer. `--workers` is the planner's `Problem.workers`
(searches in parallel processes) and `--threads` its `Problem.search_threads` (rounds in
threads of one process; by default what the product picks for the instance's size and
limit); PyVRP always runs on one core.

Quality per second: each instance is also solved, by each solver, with 10 % and 50 % of
the time limit (`--fractions`), as a re-plan with that much time would be; the table
gives the gap of each, and the summary the mean gap at each share of the limit.

    python benchmarks/vrptw.py --time-limit 10 C101 R101
    python benchmarks/vrptw.py --time-limit 30 --fractions 1 r1_4_1   # the full limit only
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch.solver import Job, Problem, Vehicle, plan_solve_problem, search_threads, solution_check  # noqa: E402
from dispatch.solver.ruin_recreate import search_compile  # noqa: E402

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "vrptw"
SCALE = 1000
DEFAULT_WORKERS = 1
DEFAULT_FRACTIONS = (0.1, 0.5, 1.0)
EPSILON = 1e-6


@dataclass(frozen=True)
class Customer:
    number: int
    x: float
    y: float
    demand: int
    ready: float
    due: float
    service: float


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    nodes: tuple[Customer, ...]  # nodes[0] is the depot

    def distance(self, a: int, b: int) -> float:
        return math.hypot(self.nodes[a].x - self.nodes[b].x, self.nodes[a].y - self.nodes[b].y)


@dataclass(frozen=True)
class Result:
    instance: str
    solver: str
    routes: list[list[int]]  # customer numbers as in the file
    distance: float
    vehicles: int
    feasible: bool
    problems: list[str]
    seconds: float


def instance_read(path: Path) -> Instance:
    lines = [line.strip() for line in path.read_text().replace("\r", "").splitlines()]
    vehicles = capacity = None
    nodes: list[Customer] = []
    for i, line in enumerate(lines):
        if line.upper().startswith("NUMBER") and vehicles is None:
            vehicles, capacity = (int(v) for v in lines[i + 1].split()[:2])
        parts = line.split()
        if len(parts) == 7 and all(p.replace(".", "", 1).isdigit() for p in parts):
            n, x, y, demand, ready, due, service = (float(p) for p in parts)
            nodes.append(Customer(int(n), x, y, int(demand), ready, due, service))
    if vehicles is None or not nodes or nodes[0].number != 0:
        raise ValueError(f"{path} is not in Solomon format")
    return Instance(path.stem.upper(), vehicles, capacity, tuple(nodes))


def problem_build(instance: Instance, time_limit_s: float, workers: int = 1, threads: int | None = None) -> Problem:
    count = len(instance.nodes)
    exact = [[instance.distance(a, b) * SCALE for b in range(count)] for a in range(count)]
    distances = tuple(tuple(round(d) for d in row) for row in exact)
    durations = tuple(tuple(math.ceil(d - EPSILON) for d in row) for row in exact)
    depot = instance.nodes[0]
    jobs = tuple(
        Job(
            id=str(c.number),
            location=index,
            window_start=round(c.ready * SCALE),
            window_end=round(c.due * SCALE),
            service_s=round(c.service * SCALE),
            demand=(c.demand,),
        )
        for index, c in enumerate(instance.nodes)
        if index > 0
    )
    vehicles = tuple(
        Vehicle(
            id=f"v{k}",
            start_location=0,
            end_location=0,
            shift_start=round(depot.ready * SCALE),
            shift_end=round(depot.due * SCALE),
            capacity=(instance.capacity,),
        )
        for k in range(instance.vehicles)
    )
    if threads is None:
        threads = search_threads(len(jobs), time_limit_s)
    return Problem(
        jobs, vehicles, durations, distances, time_limit_s=time_limit_s, workers=workers, search_threads=threads
    )


def routes_check(instance: Instance, routes: list[list[int]]) -> list[str]:
    """Feasibility with exact float times from the raw file; returns the broken rules."""
    problems: list[str] = []
    by_number = {c.number: i for i, c in enumerate(instance.nodes)}
    visited = [n for route in routes for n in route]
    expected = {c.number for c in instance.nodes[1:]}
    if sorted(visited) != sorted(expected):
        missing = expected - set(visited)
        problems.append(f"{len(missing)} customers not served, {len(visited) - len(set(visited))} twice")
    if len(routes) > instance.vehicles:
        problems.append(f"{len(routes)} routes for a fleet of {instance.vehicles}")
    depot = instance.nodes[0]
    for r, route in enumerate(routes):
        t, previous, load = depot.ready, 0, 0
        for number in route:
            node = by_number[number]
            c = instance.nodes[node]
            t = max(t + instance.distance(previous, node), c.ready)
            if t > c.due + EPSILON:
                problems.append(f"route {r}: customer {number} served at {t:.3f} after {c.due}")
            t += c.service
            load += c.demand
            previous = node
        if t + instance.distance(previous, 0) > depot.due + EPSILON:
            problems.append(f"route {r}: back at the depot after {depot.due}")
        if load > instance.capacity:
            problems.append(f"route {r}: load {load} over {instance.capacity}")
    return problems


def routes_length(instance: Instance, routes: list[list[int]]) -> float:
    index = {c.number: i for i, c in enumerate(instance.nodes)}
    total = 0.0
    for route in routes:
        path = [0] + [index[n] for n in route] + [0]
        total += sum(instance.distance(a, b) for a, b in zip(path, path[1:], strict=False))
    return total


def solve_planner(instance: Instance, time_limit_s: float, workers: int = 1, threads: int | None = None) -> Result:
    problem = problem_build(instance, time_limit_s, workers, threads)
    started = time.perf_counter()
    solution = plan_solve_problem(problem)
    seconds = time.perf_counter() - started
    routes = [[int(v.job_id) for v in route.visits] for route in solution.routes if route.visits]
    problems = routes_check(instance, routes)
    problems += [f"{v.code}: {v.message}" for v in solution_check(problem, solution)]
    return Result(
        instance.name, "planner", routes, routes_length(instance, routes), len(routes), not problems, problems, seconds
    )


def solve_pyvrp(instance: Instance, time_limit_s: float, workers: int = 1, threads: int | None = None) -> Result:
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    problem = problem_build(instance, time_limit_s)
    model = Model()
    depot_node = instance.nodes[0]
    locations = [model.add_location(c.x, c.y) for c in instance.nodes]
    depot = model.add_depot(locations[0], tw_early=problem.vehicles[0].shift_start, tw_late=problem.vehicles[0].shift_end)
    model.add_vehicle_type(
        num_available=instance.vehicles,
        capacity=instance.capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=round(depot_node.ready * SCALE),
        tw_late=round(depot_node.due * SCALE),
    )
    for job in problem.jobs:
        model.add_client(
            locations[job.location],
            delivery=job.demand[0],
            service_duration=job.service_s,
            tw_early=job.window_start,
            tw_late=job.window_end,
        )
    for a, frm in enumerate(locations):
        for b, to in enumerate(locations):
            model.add_edge(frm, to, distance=problem.distances[a][b], duration=problem.durations[a][b])
    started = time.perf_counter()
    result = model.solve(stop=MaxRuntime(time_limit_s), seed=1, display=False)
    seconds = time.perf_counter() - started
    routes = [[instance.nodes[a.idx + 1].number for a in route if a.is_client()] for route in result.best.routes()]
    problems = routes_check(instance, routes)
    return Result(
        instance.name, "pyvrp", routes, routes_length(instance, routes), len(routes), not problems, problems, seconds
    )


def references_read(path: Path) -> dict[str, float]:
    """Distance-only references: exact-distance upper bounds (Solomon), else DIMACS values (GH)."""
    exact: dict[str, float] = {}
    dimacs: dict[str, float] = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            kind = row["objective_note"].split(":")[0].strip()
            if kind == "distance_only_exact_ub":
                exact[row["instance"].upper()] = float(row["distance"])
            elif kind == "distance_only_dimacs":
                dimacs[row["instance"].upper()] = float(row["distance"])
    return {**dimacs, **exact}


def instance_paths(data_dir: Path, names: list[str]) -> list[Path]:
    folder = data_dir / "instances"
    if not names:
        return sorted(p for p in folder.glob("*.txt") if p.stem[:1].isupper())
    paths = []
    for name in names:
        candidate = Path(name)
        if candidate.is_file():
            paths.append(candidate)
            continue
        matches = [p for p in folder.glob("*.txt") if p.stem.upper() == Path(name).stem.upper()]
        if not matches:
            raise SystemExit(f"no instance named {name} in {folder}")
        paths.append(matches[0])
    return paths


def _fractions(text: str) -> tuple[float, ...]:
    try:
        shares = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give shares of the time limit such as 0.1,0.5,1") from None
    if not shares or shares[0] <= 0 or shares[-1] > 1:
        raise argparse.ArgumentTypeError(f"{text!r}: each share must be above 0 and at most 1")
    return tuple(shares)


def _share(fraction: float) -> str:
    return f"{100 * fraction:g} %"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instances", nargs="*", help="instance names or files (default: all 56 Solomon)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance and solver")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--json", action="store_true", help="one JSON object per instance and solver")
    parser.add_argument("--no-peer", action="store_true", help="skip PyVRP")
    parser.add_argument(
        "--fractions", type=_fractions, default=DEFAULT_FRACTIONS,
        help="shares of the time limit to solve each instance with, comma-separated (default: 0.1,0.5,1)",
    )
    parser.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help="planner searches run in parallel processes (PyVRP: 1)"
    )
    parser.add_argument(
        "--threads", type=int, default=None,
        help="planner rounds' search threads in one process (default: what the product picks per instance)",
    )
    args = parser.parse_args(argv)

    references = references_read(args.data_dir / "bks.csv")
    solvers = [("planner", solve_planner)] + ([] if args.no_peer else [("pyvrp", solve_pyvrp)])
    fractions = args.fractions
    # Per solver, per share of the limit: (result, gap) of each instance.
    results: dict[str, dict[float, list[tuple[Result, float | None]]]] = {
        name: {fraction: [] for fraction in fractions} for name, _ in solvers
    }
    # Compiled once per machine (Numba caches it on disk), as a worker does when it starts.
    compile_s = search_compile()
    earlier = fractions[:-1]
    if not args.json:
        threads = args.threads if args.threads is not None else (
            f"the product's choice ({search_threads(100, args.time_limit)} from 100 customers at this limit, "
            f"{search_threads(99, args.time_limit)} below)"
        )
        print(
            f"planner workers: {args.workers}, search threads: {threads}, "
            f"time limit {args.time_limit:g} s per instance and solver"
            + (f", also solved with {', '.join(_share(f) for f in earlier)} of it" if earlier else "")
        )
        print(f"planner search compiled or loaded in {compile_s:.1f} s, before the first instance")
        columns = "".join(f"{'gap@' + _share(f).replace(' ', ''):>10}" for f in earlier)
        print(
            f"{'instance':<10}{'solver':<9}{'veh':>4}{'distance':>11}{'ref':>10}{columns}"
            f"{'gap %':>8}{'feasible':>9}{'s':>7}"
        )
    for path in instance_paths(args.data_dir, args.instances):
        instance = instance_read(path)
        reference = references.get(instance.name)
        for name, solve in solvers:
            runs = []
            for fraction in fractions:
                result = solve(instance, args.time_limit * fraction, args.workers, args.threads)
                gap = 100 * (result.distance / reference - 1) if reference else None
                results[name][fraction].append((result, gap))
                runs.append((result, gap))
                if args.json:
                    print(json.dumps({
                        "instance": result.instance,
                        "solver": result.solver,
                        "time_limit": round(args.time_limit * fraction, 3),
                        "vehicles": result.vehicles,
                        "distance": round(result.distance, 4),
                        "feasible": result.feasible,
                        "seconds": round(result.seconds, 2),
                        "routes": result.routes,
                    }), flush=True)
            if args.json:
                continue
            result, gap = runs[-1]
            gaps = "".join(f"{g:10.2f}" if g is not None else f"{'-':>10}" for _, g in runs[:-1])
            gap_text = f"{gap:8.2f}" if gap is not None else f"{'-':>8}"
            ref_text = f"{reference:10.2f}" if reference else f"{'-':>10}"
            feasible = all(r.feasible for r, _ in runs)
            print(
                f"{result.instance:<10}{name:<9}{result.vehicles:>4}{result.distance:>11.2f}{ref_text}{gaps}"
                f"{gap_text}{'yes' if feasible else 'NO':>9}{result.seconds:>7.1f}",
                flush=True,
            )
            for (run, _), fraction in zip(runs, fractions, strict=True):
                for problem in run.problems[:3]:
                    print(f"    with {_share(fraction)} of the limit: {problem}")
    if not args.json:
        print()
        for name, by_fraction in results.items():
            for fraction, rows in by_fraction.items():
                gaps = [gap for _, gap in rows if gap is not None]
                feasible = sum(r.feasible for r, _ in rows)
                mean_gap = sum(gaps) / len(gaps) if gaps else float("nan")
                mean_s = sum(r.seconds for r, _ in rows) / len(rows) if rows else float("nan")
                print(
                    f"{name:<9} at {_share(fraction):>5} of the limit  mean gap {mean_gap:6.2f} %  "
                    f"max gap {max(gaps, default=float('nan')):6.2f} %  mean {mean_s:5.1f} s  "
                    f"feasible {feasible}/{len(rows)}"
                )


if __name__ == "__main__":
    main()
