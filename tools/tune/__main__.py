from tools.tune.cli import main

raise SystemExit(main())
