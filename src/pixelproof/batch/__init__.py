"""`pixelproof batch`: many images on Ray Data (the ``[ray]`` extra), resumable, into Parquet."""
