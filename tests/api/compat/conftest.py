"""The real servers the official-client suites (Sightengine, AIorNOT) talk to: their clients make
their own HTTP calls, so these run as processes, once per module."""

import pytest

from tests.support.compat import start_compat_server


@pytest.fixture(scope="module")
def server(start_server, tmp_path_factory):
    return start_compat_server(start_server, tmp_path_factory)


@pytest.fixture(scope="module")
def models_server(start_server, tmp_path_factory, fetched_models):
    return start_compat_server(start_server, tmp_path_factory, models=fetched_models)
