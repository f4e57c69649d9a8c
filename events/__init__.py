"""The write model: what can happen to a complaint, and the rules that refuse it."""
