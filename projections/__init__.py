"""The read side: folds of the event log into read models."""
