"""The intake benchmark's bare baseline: FastAPI + Redis and nothing else.

The same route and the same request body model as the vendor API (so the same pydantic
validation), then one Redis write (``SET NX`` of the validated body under its external
reference) and a 201 with an id. No token, no duplicate rules, no outbox, no Kafka. It runs under
uvicorn as the intake does (uvloop and httptools when installed) and logs in to the benchmark's
Redis as the intake's user, from the same ``INTAKE_*`` settings.

``python -m sysaccess.bench_bare`` serves it on ``INTAKE_PORT``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Response

from services.request_intake.handlers.schemas import StandardRequestBody
from services.request_intake.settings import IntakeSettings
from shared.runtime import create_redis

__all__ = ["create_app"]

PATH = "/authentication/api/v1/systemuser/request/vendor"


def create_app(settings: IntakeSettings) -> FastAPI:
    username, password = settings.redis_login()
    redis = create_redis(settings.redis_url, username=username, password=password)
    prefix = f"{settings.redis_prefix}:bare"

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await redis.ping()
        yield
        await redis.aclose()

    app = FastAPI(title="bare FastAPI + Redis baseline", lifespan=lifespan)

    @app.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "up"}

    @app.post(PATH, status_code=201)
    async def create(body: StandardRequestBody, response: Response) -> dict[str, str]:
        request_id = str(uuid.uuid4())
        await redis.set(f"{prefix}:{body.external_ref or request_id}", body.model_dump_json(), nx=True)
        response.headers["location"] = f"{PATH}/{request_id}"
        return {"id": request_id}

    return app


def main() -> None:
    settings = IntakeSettings()
    uvicorn.run(
        create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
