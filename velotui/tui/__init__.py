"""The Textual terminal UI (``velotui PATH``). Only this package imports Textual."""

from __future__ import annotations

from typing import Any


def run_tui(args: Any) -> int:
    from velotui.tui.app import VelotuiApp

    kafka = getattr(args, "kafka", None) or ("testcontainers" if getattr(args, "use_testcontainers", False)
                                             else "embedded")
    from velotui.core.engines import engine_options

    app = VelotuiApp(args.path, theme_name=getattr(args, "theme", None), watch=getattr(args, "watch", False),
                     kafka=kafka, seed=getattr(args, "seed", None), now_ms=getattr(args, "now", None),
                     use_ai=not getattr(args, "no_ai", False), kafka_config=getattr(args, "kafka_config", None),
                     kafka_image=getattr(args, "kafka_image", None), dialect=getattr(args, "dialect", None),
                     strict=getattr(args, "strict", False), engine_options=engine_options(
                         engine=getattr(args, "engine", None), compare=getattr(args, "compare", None),
                         velostream_bin=getattr(args, "velostream_bin", None),
                         quiet_period=getattr(args, "quiet_period", None),
                         close_windows=getattr(args, "close_windows", None),
                         artifacts=getattr(args, "artifacts", None)))
    try:
        app.run()
    finally:
        app.stop_background()
        app.close_cluster()
    return app.return_code or 0


__all__ = ["run_tui"]
