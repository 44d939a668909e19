"""Run request_intake: ``python -m services.request_intake``."""

import uvicorn

from .app import create_app
from .settings import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
