from velotui.cli import main

raise SystemExit(main())
