"""Run notifier: ``python -m services.notifier``."""

import uvicorn

from .app import create_app
from .settings import NotifierSettings


def main() -> None:
    settings = NotifierSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
