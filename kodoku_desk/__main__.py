from kodoku_desk.cli import main

raise SystemExit(main())
