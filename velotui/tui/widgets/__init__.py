"""The panes of the main screen, one small widget class each."""
