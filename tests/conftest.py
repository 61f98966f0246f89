"""Every test runs away from the user's home, and is marked by what it needs.

Isolation: the data folder, the cache and every ``PIXELPROOF_*`` setting the user may have
exported are replaced for the whole session (servers and commands started by a test inherit
that), so no test reads or writes a real key store or configuration. The one exception is the
model cache: tests need the fetched models, so the isolated cache links to the real one.

Markers (registered in pyproject.toml), for ``pytest -m "not slow and not postgres and not browser"``:
``postgres`` where a test uses the throwaway PostgreSQL server, ``slow`` where it starts
the API (``pixelproof serve``, or in process: either checks every model at start) or needs the
fetched models (which load CLIP and friends), and
``browser`` on the web page's suite (set in its module).
"""

import pytest

from pixelproof.settings import Settings

from tests.support.fixtures import (  # noqa: F401  (fixtures every test module may use)
    db_url,
    fetched_models,
    fetched_trust_list,
    in_process_api,
    postgres,
    server,
    start_in_process_api,
    start_server,
)

# `server` and the modules' own servers use start_server; the in-process API checks its models at start
SLOW_FIXTURES = {"start_server", "fetched_models", "start_in_process_api"}


@pytest.fixture(scope="session", autouse=True)
def away_from_home(tmp_path_factory):
    """A fresh data folder, cache and configuration home for the session; the model cache is
    the real one (found before anything is changed), linked into the fresh cache."""
    models = Settings().models_dir
    models.mkdir(parents=True, exist_ok=True)
    home = tmp_path_factory.mktemp("home")
    cache = home / "cache" / "pixelproof"
    cache.mkdir(parents=True)
    (cache / "models").symlink_to(models, target_is_directory=True)
    with pytest.MonkeyPatch.context() as env:
        for name in Settings.model_fields:
            env.delenv(f"PIXELPROOF_{name.upper()}", raising=False)
        env.setenv("PIXELPROOF_DATA_DIR", str(home / "data" / "pixelproof"))
        env.setenv("PIXELPROOF_CACHE_DIR", str(cache))
        env.setenv("XDG_DATA_HOME", str(home / "data"))
        env.setenv("XDG_CONFIG_HOME", str(home / "config"))
        env.setenv("XDG_STATE_HOME", str(home / "state"))
        yield home


def pytest_collection_modifyitems(items):
    for item in items:
        needs = set(item.fixturenames)
        if needs & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if "postgres" in needs:
            item.add_marker(pytest.mark.postgres)
