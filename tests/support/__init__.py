"""What the tests share: locations (``shared``), made images (``images``, ``c2pa``), the
command line (``cli``), fixtures (``fixtures``, exposed by tests/conftest.py) and the drop-in
API suites' server and image host (``compat``)."""
