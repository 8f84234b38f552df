"""Outbound risk events: the outbox written with the scores, and its signed delivery."""
