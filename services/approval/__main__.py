"""Run approval: ``python -m services.approval``."""

from shared.serve import serve

from .factory import create_app
from .settings import ApprovalSettings


def main() -> None:
    serve(ApprovalSettings, create_app)


if __name__ == "__main__":
    main()
