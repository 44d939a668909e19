"""Run approval: ``python -m services.approval``."""

from shared.serve import serve

from .factory import SERVICE_NAME, create_app
from .settings import ApprovalSettings


def main() -> None:
    serve(ApprovalSettings, create_app, SERVICE_NAME)


if __name__ == "__main__":
    main()
