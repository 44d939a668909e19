"""Run approval: ``python -m services.approval``."""

import uvicorn

from .app import create_app
from .settings import ApprovalSettings


def main() -> None:
    settings = ApprovalSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
