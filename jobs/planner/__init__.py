"""The SOP planner: who gets which step, when, from whom, inside every platform and project limit."""
from jobs.planner.ledger import Ledger
from jobs.planner.model import SHANGHAI, Deferral, Drop, Enrollment, Limits, Plan, PlannedSend, Visibility
from jobs.planner.plan import exit_code, matches, plan

__all__ = ["SHANGHAI", "Deferral", "Drop", "Enrollment", "Ledger", "Limits", "Plan", "PlannedSend", "Visibility",
           "exit_code", "matches", "plan"]
