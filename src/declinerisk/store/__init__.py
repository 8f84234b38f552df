"""The prediction and outcome store: records, recorder, privacy, retention and the audit trail."""
