"""``velotui explain-plan APP.sql``: the plan the engine runs for each statement, as text or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def explain_plan_command(args: Any) -> int:
    from velotui.core.plans import app_plan

    plan = app_plan(Path(args.path), spec=Path(args.spec) if args.spec else None, dialect=args.dialect)
    if args.json:
        print(json.dumps(plan.to_dict(), indent=2, default=str))
    else:
        sys.stdout.write(plan_text(plan))
    return 0


def plan_text(plan: Any) -> str:
    from velotui.engine import explain_text

    return explain_text(plan)
