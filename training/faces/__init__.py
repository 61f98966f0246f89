"""The synthetic-face head: ``python -m training.faces.extract``, then ``python -m training.faces.train``."""
