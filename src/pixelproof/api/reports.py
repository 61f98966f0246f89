"""``GET /v1/reports``: stored reports, by id or by the caller's external id."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ..report import Report
from .auth import authenticate
from .errors import documented

# The most an SQL OFFSET takes (a signed 64-bit BIGINT in SQLite and PostgreSQL): past it the
# database driver overflowed and the client got a 500 (found by tests/api/test_schema.py).
MAX_OFFSET = 2**63 - 1

router = APIRouter(tags=["reports"], dependencies=[Depends(authenticate)])


class ReportList(BaseModel):
    reports: list[Report]
    limit: int
    offset: int


@router.get("/reports/{report_id}", response_model=Report, summary="Get a report", responses=documented(401, 404, 422))
def get_report(report_id: str, request: Request) -> Report:
    report = request.app.state.store.get_report(report_id)
    if report is None:
        raise HTTPException(404, f"there is no report with id {report_id!r}")
    return report


@router.get("/reports", response_model=ReportList, summary="List reports", responses=documented(401, 422))
def find_reports(
    request: Request,
    external_id: Annotated[str | None, Query(max_length=255, description="Only reports made with this id.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ReportList:
    """Newest first."""
    reports = request.app.state.store.find_reports(external_id=external_id, limit=limit, offset=offset)
    return ReportList(reports=reports, limit=limit, offset=offset)
