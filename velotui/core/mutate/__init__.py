"""Mutation testing: how good are an app's tests? ``velotui mutate`` (docs/QUALITY.md).

Public surface for the front doors (the CLI now, the TUI's gutter and Mutants view later):
``run_mutation(path, MutationOptions, on_event) -> MutationReport`` (velotui.report.mutation), the events
``MutationPlanned`` / ``MutantFinished`` (velotui.core.events), ``background.MutationProcess`` (the same run in
a child process, for a UI that must not wait), ``generate_mutants(loaded)`` for the
mutants of one loaded app without running them, and ``OPERATORS``, the registry.
"""

from velotui.core.mutate.mutants import Mutant, generate_mutants
from velotui.core.mutate.operators import OPERATORS, Change, MutationContext, MutationOperator, operator
from velotui.core.mutate.runner import DEFAULT_NOW_MS, DEFAULT_SEED, MutationOptions, StopFlag, run_mutation

__all__ = ["DEFAULT_NOW_MS", "DEFAULT_SEED", "OPERATORS", "Change", "Mutant", "MutationContext", "MutationOperator",
           "MutationOptions", "StopFlag", "generate_mutants", "operator", "run_mutation"]
