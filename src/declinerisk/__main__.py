import sys

from declinerisk.cli.main import main

sys.exit(main())
