"""ATS connectors: each turns a verified delivery from one ATS into score, outcome or ignore commands."""
