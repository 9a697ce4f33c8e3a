"""The meeting scheduler: an integer programme solved by HiGHS (`scipy.optimize.milp`).

One binary variable per (request, slot) pair the two people are both available and free in;
maximise the sum of the placed requests' scores, subject to
- each request placed at most once;
- each person in at most one meeting in any `buffer + 1` consecutive slots (with buffer 0:
  one meeting per person per slot).
The same programme without integrality (the LP relaxation) bounds what any plan can place, so
every run says how far its plan is from that bound. A time limit keeps a large expo's run
bounded; when the solver has nothing better by then, the greedy plan stands (never worse).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from karakoram.expo.domain.schedule import Plan, Problem, greedy, placed_score, violations

if TYPE_CHECKING:
    from scipy.sparse import csr_array

# SciPy (a quarter of a second to import) is imported by the functions that build and solve the
# programme: every `karakoram` command imports this module, and few of them schedule


@dataclass(frozen=True, slots=True)
class Solved:
    plan: Plan
    #: the sum of the placed requests' scores
    placed: float
    #: the LP relaxation's optimum: no plan places more
    bound: float
    #: "optimal", "time limit" or "greedy" (the solver found nothing better)
    status: str

    @property
    def gap(self) -> float:
        """How far the plan is below the bound, as a share of the bound."""
        return 0.0 if self.bound <= 0 else max(0.0, (self.bound - self.placed) / self.bound)


@dataclass(frozen=True, slots=True)
class _Programme:
    request_index: npt.NDArray[np.int64]
    slot: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float64]
    rows: csr_array


def _programme(problem: Problem) -> _Programme:
    from scipy.sparse import csr_array

    req_idx, slots, scores, firsts, seconds = [], [], [], [], []
    for i, r in enumerate(problem.requests):
        cand = problem.candidates(r)
        req_idx.extend([i] * len(cand))
        slots.extend(cand)
        scores.extend([r.score] * len(cand))
        firsts.extend([r.first] * len(cand))
        seconds.extend([r.second] * len(cand))
    ri = np.asarray(req_idx, dtype=np.int64)
    sl = np.asarray(slots, dtype=np.int64)
    n = len(ri)
    var = np.arange(n, dtype=np.int64)
    b = problem.buffer
    span = problem.slots + b + 1
    # request rows: 0 .. len(requests)-1
    keys, cols = [ri], [var]
    # person rows: (person, first slot of a window of b+1 slots the meeting falls in)
    for people in (np.asarray(firsts, dtype=np.int64), np.asarray(seconds, dtype=np.int64)):
        for back in range(b + 1):
            keys.append(len(problem.requests) + people * span + (sl - back + b))
            cols.append(var)
    key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    _, row = np.unique(key, return_inverse=True)
    data = np.ones(len(col))
    m = int(row.max()) + 1 if len(row) else 0
    matrix = csr_array((data, (row, col)), shape=(m, n))
    return _Programme(ri, sl, np.asarray(scores, dtype=np.float64), matrix)


def _solve(
    p: _Programme, integral: bool, seconds: float
) -> tuple[float, npt.NDArray[np.float64], bool]:
    """The optimum found, its variables, and whether it is proven optimal."""
    from scipy.optimize import LinearConstraint, milp

    n = len(p.scores)
    constraint = LinearConstraint(p.rows, -np.inf, 1.0)
    res = milp(
        -p.scores,
        constraints=constraint,
        integrality=np.ones(n) if integral else np.zeros(n),
        bounds=(0.0, 1.0),
        options={"time_limit": seconds, "disp": False},
    )
    if res.x is None:
        return 0.0, np.zeros(0), False
    return float(-res.fun), np.asarray(res.x), res.status == 0


def lp_bound(problem: Problem, seconds: float = 60.0) -> float:
    """The LP relaxation's optimum: an upper bound on the score any plan places."""
    p = _programme(problem)
    return _solve(p, False, seconds)[0] if len(p.scores) else 0.0


def schedule(problem: Problem, seconds: float = 50.0) -> Solved:
    """The best plan the solver finds within `seconds` (never worse than greedy), with the LP
    bound it is measured against."""
    p = _programme(problem)
    fallback = greedy(problem)
    if not len(p.scores):
        return Solved(fallback, 0.0, 0.0, "optimal")
    bound, _, _ = _solve(p, False, seconds)
    _, x, proven = _solve(p, True, seconds)
    plan: Plan = {}
    if len(x):
        chosen = np.flatnonzero(x > 0.5)
        plan = {
            problem.requests[int(p.request_index[v])].id: int(p.slot[v]) for v in chosen.tolist()
        }
    status = "optimal" if proven else "time limit"
    if violations(problem, plan) or placed_score(problem, plan) < placed_score(problem, fallback):
        plan, status = fallback, "greedy"
    return Solved(plan, placed_score(problem, plan), max(bound, 0.0), status)
