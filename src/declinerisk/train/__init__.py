"""Training: ``python -m declinerisk.train --data FILE``."""
