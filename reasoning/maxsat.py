"""Best-first enumeration of explanations with PySAT's RC2, under a deadline.

RC2 runs with the settings that were fast on clinical and random bases here
(adapt: detect at-most-one groups of soft clauses; exhaust: core exhaustion;
minz: core minimisation). RC2 has no time limit of its own, so every SAT call it
makes goes through :meth:`_TimedRC2._call_oracle`, which refuses to start after the
deadline, and a timer interrupts a call still running at the deadline.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from pysat.examples.rc2 import RC2
from pysat.formula import WCNF

from backcare.reasoning.encoding import Instance

RC2_SETTINGS = {"solver": "g3", "adapt": True, "exhaust": True, "minz": True}
# Core minimisation (minz) spends up to |core| extra SAT calls per core. On this
# encoding it was slower at every size measured (bench/reasoning.py: ~1.5x on
# clinical cases, 2.5-4x at 10x-30x, ~9x at 100x) but it avoided one slow tail
# on a random base, and the tuned settings are the ones validated on clinical
# bases: kept for clinical-sized instances, dropped above this many soft clauses.
MINZ_MAX_SOFT = 100


@dataclass(frozen=True)
class Solution:
    causes: frozenset[str]
    claimed: frozenset[str]
    cost: int  # units, including the instance's constant


class BudgetExceeded(Exception):
    """The solver ran out of its time budget."""


class _TimedRC2(RC2):
    def __init__(self, formula: WCNF, deadline: float, **settings):
        self.deadline = deadline
        self.timed_out = False
        self.lock = threading.Lock()  # the timer thread must not touch a deleted oracle
        super().__init__(formula, **settings)

    def time_out(self) -> None:
        with self.lock:
            if self.oracle is not None:
                self.timed_out = True
                self.oracle.interrupt()

    def close(self) -> None:
        with self.lock:
            self.delete()

    def _call_oracle(self, assumptions=[], expect_interrupt=False):  # noqa: B006 (RC2's signature)
        if self.timed_out or time.perf_counter() >= self.deadline:
            raise BudgetExceeded
        result = self.oracle.solve_limited(assumptions=assumptions, expect_interrupt=True)
        if result is None and self.timed_out:
            raise BudgetExceeded
        return result


def formula(inst: Instance) -> WCNF:
    wcnf = WCNF()
    # Assigning the lists directly: WCNF.append checks each clause in Python.
    wcnf.hard = [list(c) for c in inst.hard]
    wcnf.soft = [list(c) for c in inst.soft]
    wcnf.wght = list(inst.weights)
    wcnf.topw = sum(inst.weights) + 1
    wcnf.nv = inst.nvars
    return wcnf


def enumerate_rc2(inst: Instance, k: int, deadline: float, found: list[Solution]) -> bool:
    """Append the next best distinct cause sets to ``found`` until it holds ``k``.

    Sets already in ``found`` are blocked first. Returns True when done (``k``
    found or no other set exists), False when the deadline came first.
    """
    if time.perf_counter() >= deadline:
        return False
    settings = dict(RC2_SETTINGS, minz=RC2_SETTINGS["minz"] and len(inst.soft) <= MINZ_MAX_SOFT)
    solver = _TimedRC2(formula(inst), deadline, **settings)
    timer = threading.Timer(max(0.0, deadline - time.perf_counter()), solver.time_out)
    timer.daemon = True
    timer.start()
    try:
        if found and not inst.cause_var:
            return True
        for sol in found:
            solver.add_clause(inst.blocking_clause(sol.causes))
        while len(found) < k:
            model = solver.compute(expect_interrupt=True)
            if model is None:
                # Not timed out: every distinct set of causes has been listed.
                return not solver.timed_out
            causes, claimed = inst.decode({v for v in model if v > 0})
            found.append(Solution(causes, claimed, solver.cost + inst.constant))
            if not inst.cause_var:
                return True  # no cause can be concluded: the empty set was the only one
            solver.add_clause(inst.blocking_clause(causes))
        return True
    except BudgetExceeded:
        return False
    finally:
        timer.cancel()
        solver.close()
