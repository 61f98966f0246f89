"""Training the shipped heads: run its scripts as modules from the repository root
(``python -m training.train``); where they read and write is in ``training.locations``."""
