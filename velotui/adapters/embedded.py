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

        from velotui.engine import run_app

        result = run_app(job.app, job.bus, self._options(job))
        return EngineRun(result=result, file_sinks={k: Path(v) for k, v in job.file_paths.items()})

    def open_stream(self, job: EngineJob) -> Any:
        """The statement run block by block over its one stream topic (velotui.engine.StatementStream), or
        None when the engine cannot run it so."""
        from velotui.engine import StatementStream, StreamRefused

        try:
            return StatementStream(job.app, job.bus, self._options(job))
        except StreamRefused:
            return None

    @staticmethod
    def _options(job: EngineJob) -> Any:
        from velotui.engine import EngineOptions

        return EngineOptions(
            now_ms=job.now_ms, topic_names=job.topic_names, file_paths=job.file_paths,
            base_dir=job.sql_path.parent, properties=dict(job.properties), statements=[job.statement],
            timeout_s=job.timeout_s, lineage=job.lineage, source_schemas=job.source_schemas,
            schema_checked=set(job.schema_checked),
            should_stop=job.should_stop, slow_processing=job.slow_processing, coverage=job.coverage)
