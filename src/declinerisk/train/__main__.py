"""``python -m declinerisk.train``: train a model from an offers export."""

import sys

from declinerisk.train.run import main

sys.exit(main())
