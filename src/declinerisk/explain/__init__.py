"""Reasons a recruiter reads: the model's terms as tables, sentences, values and the playbook."""
