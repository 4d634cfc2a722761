"""The same MaxSAT instance as an integer program, solved by HiGHS (scipy.optimize.milp).

The fallback when RC2 overruns its share of the time budget: with many
conflicting soft observations, the LP relaxation guides HiGHS where core-guided
search can stall. Each clause becomes a row "sum of its literals >= 1"; a unit
soft clause goes straight into the objective; a longer one gets a 0/1 relaxation
column. Enumeration adds one blocking row per listed set of causes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

from backcare.reasoning.encoding import Instance
from backcare.reasoning.maxsat import Solution

MIN_TIME_S = 0.001  # HiGHS needs a positive limit


class _Program:
    def __init__(self, inst: Instance):
        used = sorted(
            {abs(lit) for c in inst.hard + inst.soft for lit in c}
            | set(inst.cause_var.values())
            | set(inst.finding_var.values())
        )
        self.column = {v: i for i, v in enumerate(used)}
        self.ncols = len(used)
        self.objective: list[float] = [0.0] * self.ncols
        self.offset = 0.0
        # A row holds clause literals and, for a soft clause, its ("relax", column).
        self.rows: list[Sequence[int | tuple[str, int]]] = []
        for clause in inst.hard:
            self.rows.append(list(clause))
        for clause, w in zip(inst.soft, inst.weights):
            if len(clause) == 1:
                lit = clause[0]
                col = self.column[abs(lit)]
                if lit > 0:  # violated when x = 0: w * (1 - x)
                    self.offset += w
                    self.objective[col] -= w
                else:  # violated when x = 1
                    self.objective[col] += w
            else:
                relax = self.ncols
                self.ncols += 1
                self.objective.append(float(w))
                self.rows.append(list(clause) + [("relax", relax)])

    def solve(self, time_limit: float):
        data, indices, indptr, lower = [], [], [0], []
        for row in self.rows:
            neg = 0
            for lit in row:
                if isinstance(lit, tuple):
                    indices.append(lit[1])
                    data.append(1.0)
                elif lit > 0:
                    indices.append(self.column[lit])
                    data.append(1.0)
                else:
                    indices.append(self.column[-lit])
                    data.append(-1.0)
                    neg += 1
            indptr.append(len(indices))
            lower.append(1.0 - neg)
        n = self.ncols
        constraints = []
        if self.rows:
            matrix = csr_array((data, indices, indptr), shape=(len(self.rows), n))
            constraints = [
                LinearConstraint(matrix, np.array(lower), np.full(len(self.rows), np.inf))
            ]
        return milp(
            np.array(self.objective),
            constraints=constraints,
            integrality=np.ones(n),
            bounds=Bounds(0, 1),
            options={"time_limit": max(MIN_TIME_S, time_limit), "disp": False},
        )


def enumerate_milp(inst: Instance, k: int, deadline: float, found: list[Solution]) -> bool:
    """Like :func:`reasoning.maxsat.enumerate_rc2`, on HiGHS."""
    if found and not inst.cause_var:
        return True
    program = _Program(inst)
    if program.ncols == 0:  # nothing to decide: the empty explanation is the only one
        found.append(Solution(frozenset(), frozenset(), inst.constant))
        return True
    for sol in found:
        program.rows.append(inst.blocking_clause(sol.causes))
    while len(found) < k:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return False
        result = program.solve(remaining)
        if result.status == 2:  # infeasible: every distinct set has been listed
            return True
        if result.status != 0 or result.x is None:
            return False  # time limit (a feasible point is not a proven optimum)
        true_vars = {v for v, col in program.column.items() if result.x[col] > 0.5}
        causes, claimed = inst.decode(true_vars)
        cost = int(round(result.fun + program.offset)) + inst.constant
        found.append(Solution(causes, claimed, cost))
        if not inst.cause_var:
            return True
        program.rows.append(inst.blocking_clause(causes))
    return True
