"""Plans: a statement as a tree of plan nodes (nodes.py), built by the planner (planner.py), where every
refusal happens, and drawn by explain.py."""

from __future__ import annotations

from velotui.engine.plan.explain import explain_text
from velotui.engine.plan.nodes import AppPlan, PlanNode, StatementPlan
from velotui.engine.plan.planner import Planner, plan_app, plan_problems

__all__ = ["AppPlan", "PlanNode", "Planner", "StatementPlan", "explain_text", "plan_app", "plan_problems"]
