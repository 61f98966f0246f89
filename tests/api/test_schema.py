"""Every route of our OpenAPI document, fuzzed by schemathesis on a real `pixelproof serve`:
whatever a client sends, the answer is a documented status, never a 5xx, and its body has the
documented shape (every error status documents its API's error shape: ours, or the vendor's on
the compatible APIs).

Bounded for CI: a few examples an operation, with valid and invalid inputs. Random bytes seldom
decode, so the analyses that run are few and cheap; the analyzed ones use ``only=metadata``
where the route takes it. ``PIXELPROOF_PROPERTY_SCALE=N`` multiplies the examples by hand.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from pixelproof.api.app import create_app
from pixelproof.settings import Settings

from tests.support.compat import pair
from tests.support.cli import create_token

EXAMPLES = 8 * int(os.environ.get("PIXELPROOF_PROPERTY_SCALE", "1"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Per-key limits off: otherwise most cases would only meet 429 (tests/test_admission.py checks those).
LIMITS_OFF = {"PIXELPROOF_KEY_REQUESTS_PER_MINUTE": "0", "PIXELPROOF_KEY_CONCURRENT_ANALYSES": "0"}
# The document, from an app on an in-memory store (collection runs before the session's isolation).
DOCUMENT = create_app(Settings(db="sqlite://")).openapi()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
# Invalid inputs, for every operation that takes any (a request without inputs cannot be invalid).
CASES = [(op, POSITIVE) for op in OPERATIONS] + [
    (op, NEGATIVE) for op in OPERATIONS if any((op.query, op.path_parameters, op.headers, list(op.body)))
]


@pytest.fixture(scope="module")
def fuzzed_server(start_server, tmp_path_factory):
    store_args = ("--data-dir", str(tmp_path_factory.mktemp("data")))
    token = create_token(*store_args)
    return start_server(store_args, "--max-upload-mb", "1", token=token, env=LIMITS_OFF)


def test_the_document_lists_every_route():
    """The fuzzing below covers every route the server answers, documented ones at least."""
    assert {op.label for op in OPERATIONS} >= {"GET /healthz", "POST /v1/analyze", "GET /v1/reports/{report_id}"}
    assert len(OPERATIONS) == sum(len(methods) for methods in DOCUMENT["paths"].values())


@pytest.mark.parametrize("operation, mode", CASES, ids=[f"{op.label} {mode.value}" for op, mode in CASES])
def test_no_request_gets_a_server_error_or_an_undocumented_answer(fuzzed_server, operation, mode):
    positive = mode is POSITIVE
    credentials = dict(zip(("api_user", "api_secret"), pair(fuzzed_server.token), strict=True))
    headers = {"Authorization": f"Bearer {fuzzed_server.token}"}
    query = {"only": "metadata"} if positive and any(param.name == "only" for param in operation.query) else None

    @given(case=operation.as_strategy(generation_mode=mode, query=query))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        for fields in (case.query, case.body):  # Sightengine's credentials: the server's own key
            if positive and isinstance(fields, dict) and "api_user" in fields:
                fields.update(credentials)
        response = case.call(base_url=fuzzed_server.base_url, headers=headers, timeout=60)
        case.validate_response(response, checks=CHECKS)

    fuzz()

