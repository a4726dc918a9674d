from velotui.cli import entry

entry()
