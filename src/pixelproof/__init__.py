"""pixelproof: tells whether an image was made by a generative AI model, and shows the evidence."""

__version__ = "0.1.0"
