"""The abduction engine: the most plausible sets of causes for a case, best first.

    engine = Engine(load_knowledge_base())      # encodes the base once
    diagnosis = engine.diagnose(case, top_k=5, budget_s=1.0)

Every solve has a time budget: RC2 gets ``rc2_share`` of it; if it overruns,
HiGHS (scipy.optimize.milp) continues the same enumeration with what is left.
"""

from __future__ import annotations

import time

from backcare.reasoning.case import check_case
from backcare.reasoning.costs import case_costs
from backcare.reasoning.encoding import CompiledBase
from backcare.reasoning.explain import cause_support, ranked, unexplained_findings
from backcare.reasoning.ilp import enumerate_milp
from backcare.reasoning.maxsat import Solution, enumerate_rc2
from backcare.reasoning.model import KnowledgeBase
from backcare.reasoning.referral import referral
from backcare.reasoning.types import Case, Diagnosis

SOLVERS = ("auto", "rc2", "milp")


class Engine:
    """Reusable across cases (and threads: ``diagnose`` keeps no state between calls).

    solver:    "auto" (RC2, then HiGHS on overrun), "rc2" or "milp" only
    rc2_share: the part of each budget RC2 may use before HiGHS takes over
    """

    def __init__(self, kb: KnowledgeBase, solver: str = "auto", rc2_share: float = 0.5):
        if solver not in SOLVERS:
            raise ValueError(f"solver must be one of {', '.join(SOLVERS)}, got {solver!r}")
        if not 0.0 <= rc2_share <= 1.0:
            raise ValueError(f"rc2_share must be between 0 and 1, got {rc2_share!r}")
        self.kb = kb
        self.compiled = CompiledBase(kb)
        self.solver = solver
        self.rc2_share = rc2_share

    def diagnose(self, case: Case, top_k: int = 5, budget_s: float = 1.0) -> Diagnosis:
        if not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"top_k must be a whole number of at least 1, got {top_k!r}")
        if not budget_s > 0:
            raise ValueError(f"budget_s must be positive, got {budget_s!r}")
        start = time.perf_counter()
        deadline = start + budget_s
        check_case(self.kb, case)
        costs = case_costs(self.kb, case)
        inst = self.compiled.encode(costs)

        found: list[Solution] = []
        used: list[str] = []
        complete = False
        if self.solver in ("auto", "rc2"):
            rc2_deadline = start + budget_s * self.rc2_share if self.solver == "auto" else deadline
            complete = enumerate_rc2(inst, top_k, rc2_deadline, found)
            if found:
                used.append("rc2")
        if not complete and self.solver in ("auto", "milp"):
            before = len(found)
            complete = enumerate_milp(inst, top_k, deadline, found)
            if len(found) > before:
                used.append("milp")

        explanations = ranked(self.kb, case, costs, found)
        urgency, reasons = referral(self.kb, case, costs, explanations[0] if explanations else None)
        return Diagnosis(
            explanations=explanations,
            referral=urgency,
            referral_reasons=reasons,
            solve_ms=(time.perf_counter() - start) * 1000.0,
            solver="+".join(used) or "none",
            complete=complete,
            causes=cause_support(self.kb, case, costs, explanations),
            unexplained=unexplained_findings(costs, explanations),
        )
