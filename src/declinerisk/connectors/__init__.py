"""ATS connectors: each turns a verified delivery from one ATS into a score, outcome or ignore."""
