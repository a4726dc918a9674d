"""Reports of a run: the model, and text, JSON and JUnit XML writers."""

from __future__ import annotations

from velotui.report.model import AppReport, MinimalInput, QueryReport, RunReport
from velotui.report.writers import (
           check_destination,
           check_destinations,
           clear_destinations,
           junit_tree,
           render_text,
           report_dict,
           to_json,
           write_junit,
)

__all__ = ["AppReport", "MinimalInput", "QueryReport", "RunReport", "check_destination", "check_destinations", "clear_destinations", "junit_tree", "render_text",
           "report_dict", "to_json", "write_junit"]
