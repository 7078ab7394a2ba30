"""Validation: the rules of rules.yaml, evaluated over the forms read."""
