"""Accuracy measurement: the evaluation variants, the metrics, and `pixelproof eval`."""
