import sys

from declinerisk.cli import main

sys.exit(main())
