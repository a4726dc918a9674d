"""velotui's own engine behind the adapter interface."""

from __future__ import annotations

from typing import Any

from velotui.adapters import EngineJob, EngineRun


class EmbeddedAdapter:
    name = "embedded"
    needs_kafka = False

    def check(self) -> dict[str, Any]:
        from velotui import __version__

        return {"ok": True, "version": f"velotui {__version__} (in process)"}

    def run(self, job: EngineJob) -> EngineRun:
        from pathlib import Path

        from velotui.engine import EngineOptions, run_app

        result = run_app(job.app, job.bus, EngineOptions(
            now_ms=job.now_ms, topic_names=job.topic_names, file_paths=job.file_paths,
            base_dir=job.sql_path.parent, properties=dict(job.properties), statements=[job.statement],
            timeout_s=job.timeout_s, lineage=job.lineage, source_schemas=job.source_schemas,
            should_stop=job.should_stop, slow_processing=job.slow_processing, coverage=job.coverage))
        return EngineRun(result=result, file_sinks={k: Path(v) for k, v in job.file_paths.items()})
