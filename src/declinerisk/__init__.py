"""declinerisk: learn offer-decline risk from past offers and score the open ones."""

__version__ = "0.1.0"
