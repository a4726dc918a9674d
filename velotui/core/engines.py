"""Which engine runs each query, and the folders an engine's artifacts live in (docs/ENGINES.md).

``EngineChoice`` answers, for a run: the engine(s) of a query (``--compare``'s two, else ``--engine``,
else the spec's ``engine:``, else the config file's ``[engine] name``, else embedded), whether the run
needs a Kafka cluster, and whether the engines the command line names are usable before anything
starts. ``ArtifactFolders`` hands out one folder per query run (the staged app, the engine log) and keeps
it only when the query did not pass, unless ``--artifacts DIR`` keeps everything.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from velotui.errors import InfraError, SpecError


def engine_options(*, engine: str | None = None, compare: str | None = None, velostream_bin: str | None = None,
                   quiet_period: float | None = None, close_windows: str | None = None,
                   artifacts: str | None = None) -> dict[str, Any]:
    """The RunOptions fields of --engine, --compare A,B, --velostream-bin, --quiet-period, --close-windows
    on|off and --artifacts, checked (a SpecError, exit 2, names the option and what it takes)."""
    from velotui.adapters import engine_names

    known = engine_names()
    if engine is not None and engine not in known:
        raise SpecError(f"--engine {engine}: unknown engine", hint="engines: " + ", ".join(known))
    names = None
    if compare:
        names = [n.strip() for n in compare.split(",") if n.strip()]
        if len(names) != 2 or names[0] == names[1]:
            raise SpecError(f"--compare {compare}: name two different engines",
                            hint="e.g. --compare embedded,velostream")
        for n in names:
            if n not in known:
                raise SpecError(f"--compare {compare}: unknown engine {n!r}", hint="engines: " + ", ".join(known))
    if quiet_period is not None and not quiet_period >= 0:
        raise SpecError(f"--quiet-period {quiet_period}: must be a number of seconds >= 0")
    if close_windows not in (None, "on", "off"):
        raise SpecError(f"--close-windows {close_windows}: on or off")
    return {"engine": engine, "compare": names, "velostream_bin": velostream_bin, "quiet_period_s": quiet_period,
            "close_windows": None if close_windows is None else close_windows == "on",
            "artifacts": Path(artifacts) if artifacts else None}


class EngineChoice:
    """The engines of one run: the options given, over the config file's settings."""

    def __init__(self, options: Any) -> None:
        from velotui.adapters.settings import load_engine_settings

        self.options = options
        settings = options.engine_settings or load_engine_settings()
        vs = settings.velostream
        if options.velostream_bin:
            vs.bin = options.velostream_bin
        if options.quiet_period_s is not None:
            vs.quiet_period_s = options.quiet_period_s
        if options.close_windows is not None:
            vs.close_windows = options.close_windows
        if options.artifacts is not None:
            vs.artifacts = Path(options.artifacts)
        self.settings = settings

    def for_spec(self, spec: Any) -> list[str]:
        """The engine(s) a query of ``spec`` runs on."""
        if self.options.compare:
            return list(self.options.compare)
        return [self.options.engine or getattr(spec, "engine", None) or self.settings.name or "embedded"]

    @property
    def named(self) -> list[str]:
        """The engines the command line or the config file names (a spec may name another)."""
        return list(self.options.compare or [self.options.engine or self.settings.name or "embedded"])

    def adapter(self, name: str) -> Any:
        from velotui.adapters import get_adapter

        return get_adapter(name, self.settings)

    def check(self) -> None:
        """The named engines must be usable before anything starts (exit 3 with the hint otherwise)."""
        for name in self.named:
            state = self.adapter(name).check()
            if not state.get("ok"):
                raise InfraError(f"--engine {name}: {state.get('error') or 'not usable here'}",
                                 hint=state.get("hint") or None)

    def needs_kafka(self) -> bool:
        return any(self.adapter(n).needs_kafka for n in self.named)


class ArtifactFolders:
    """``run-ID/APP/QUERY-ENGINE-N`` folders under ``--artifacts`` (kept) or the temp folder (kept for
    queries that did not pass)."""

    def __init__(self, run_id: str, given: Path | None) -> None:
        self.given = given
        self.root = (Path(given) if given else Path(tempfile.gettempdir()) / "velotui-runs") / f"run-{run_id}"
        self._n = 0

    def new(self, app: str, query: str, engine: str) -> Path:
        from velotui.adapters.velostream.staging import safe_name

        self._n += 1
        folder = self.root / safe_name(app) / f"{safe_name(query)}-{engine}-{self._n}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def keep(self, folder: Path | None, passed: bool) -> bool:
        """Keep a query's folder when it did not pass, or always with --artifacts; True when kept."""
        if folder is None:
            return False
        if passed and self.given is None:
            shutil.rmtree(folder, ignore_errors=True)
            return False
        return True

    def clean(self) -> None:
        """At the end of the run: remove the folders left empty (none, with --artifacts)."""
        if self.given is not None or not self.root.is_dir():
            return
        for d in sorted(self.root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        if not any(self.root.iterdir()):
            self.root.rmdir()
