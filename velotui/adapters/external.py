"""``--engine external``: a user command deploys the app to another engine against the same cluster and
exits when that engine is done; velotui published the inputs before and captures the sinks after."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

from velotui.adapters import EngineJob, EngineRun
from velotui.engine.api import EngineResult, StatementResult
from velotui.errors import EngineError, InfraError, RunTimeout


class ExternalAdapter:
    name = "external"
    needs_kafka = True

    def check(self) -> dict[str, Any]:
        return {"ok": True, "version": "a --deploy command of yours"}

    def run(self, job: EngineJob) -> EngineRun:
        if job.cluster is None:
            raise InfraError("--engine external needs a real Kafka cluster",
                             hint="add --kafka local or --kafka HOST:PORT")
        if not job.deploy:
            raise InfraError("--engine external needs --deploy 'COMMAND {sql} {bootstrap} {topics}'")
        values = {"sql": str(job.sql_path.resolve()), "bootstrap": job.cluster.bootstrap,
                  "topics": json.dumps(job.topic_names), "run_id": job.run_id, "statement": job.statement}
        args = [part.format(**values) for part in shlex.split(job.deploy)]
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=job.timeout_s)
        except FileNotFoundError:
            raise InfraError(f"deploy command not found: {args[0]}") from None
        except subprocess.TimeoutExpired:
            raise RunTimeout(f"the external engine did not finish within {job.timeout_s:g} s") from None
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
            raise EngineError(f"the deploy command exited {proc.returncode}:\n{tail}",
                              hint="the engine under test failed; its last lines are above")
        return EngineRun(result=EngineResult(statements={job.statement: StatementResult(name=job.statement)}),
                         file_sinks={k: Path(v) for k, v in job.file_paths.items()},
                         unavailable={"dead_letters": "an external engine's dead letters are not visible to velotui"})
