"""``/judgements``: identity decisions over HTTP (``kg.judgements``).

``GET /judgements`` lists the merges and splits recorded, oldest first; ``GET /judgements/suggestions``
proposes merges (rapidfuzz over labels).  ``POST /judgements`` records one and ``DELETE /judgements/{id}``
undoes one; both need the bearer token, like the article writes.  The judge is the token's configured name
(``KG_API_TOKEN_NAME``), else the operating-system user the server runs as.  A merge or split is read by
the next request: nothing is re-ingested.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from kg import judgements as judged
from kg.api.deps import SettingsDep, StoreDep
from kg.api.security import ERROR_RESPONSES, require_token
from kg.settings import Settings

router = APIRouter(tags=["judgements"], responses=ERROR_RESPONSES)


class JudgementIn(BaseModel):
    """A merge (the two entities are one; ``left`` is kept as the canonical IRI) or a split (they are two)."""

    kind: Literal["merge", "split"]
    left: str = Field(min_length=1, max_length=1000, description="An entity id (north-korea) or IRI.")
    right: str = Field(min_length=1, max_length=1000, description="An entity id or IRI.")
    reason: str | None = Field(default=None, max_length=judged.MAX_REASON_CHARS, description="Why.")


def judge_name(settings: Settings) -> str:
    """Who a write through the API is recorded as: ``KG_API_TOKEN_NAME``, else the server's OS user."""
    return settings.api_token_name or judged.default_judge()


@router.get("/judgements", summary="The merges and splits recorded, oldest first, with who, when and why")
def list_judgements(store: StoreDep) -> dict[str, Any]:
    found = [j.as_json() for j in judged.judgements(store)]
    return {"count": len(found), "results": found}


@router.get("/judgements/suggestions", summary="Likely merges (close labels), best first, for a person to accept")
def suggestions(
    store: StoreDep,
    min_score: Annotated[float, Query(ge=0, le=100, description="Lowest rapidfuzz score proposed.")] = (
        judged.SUGGEST_MIN_SCORE
    ),
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    found = [s.as_json() for s in judged.suggest(store, min_score=min_score, limit=limit)]
    return {"count": len(found), "results": found}


@router.post(
    "/judgements",
    summary="Record a merge or split of two entities; needs the bearer token",
    status_code=201,
    dependencies=[Depends(require_token)],
    responses={401: {"description": "No bearer token"}, 403: {"description": "Wrong token, or writes disabled"},
               404: {"description": "No such entity"}},
)
def post_judgement(body: JudgementIn, store: StoreDep, settings: SettingsDep) -> JSONResponse:
    made = judged.record(store, body.kind, body.left, body.right, who=judge_name(settings), why=body.reason)
    return JSONResponse(made.as_json(), status_code=201, headers={"Location": f"/judgements/{made.id}"})


@router.delete(
    "/judgements/{judgement_id}",
    summary="Undo one judgement (remove its graph); needs the bearer token",
    status_code=204,
    dependencies=[Depends(require_token)],
    responses={401: {"description": "No bearer token"}, 403: {"description": "Wrong token, or writes disabled"}},
)
def delete_judgement(judgement_id: str, store: StoreDep) -> Response:
    judged.delete(store, judgement_id)
    return Response(status_code=204)
