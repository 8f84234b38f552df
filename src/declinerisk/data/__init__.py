"""The offer contract and everything that reads, maps, validates, splits or makes offer data."""
