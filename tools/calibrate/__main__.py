from tools.calibrate.cli import main

raise SystemExit(main())
