"""The development images: their manifests (``manifests``) and how the extra set is staged
(``python -m training.data.fetch_extra``)."""
