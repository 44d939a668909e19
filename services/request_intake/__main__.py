"""Run request_intake: ``python -m services.request_intake``."""

from shared.serve import serve

from .factory import SERVICE_NAME, create_app
from .settings import IntakeSettings


def main() -> None:
    serve(IntakeSettings, create_app, SERVICE_NAME)


if __name__ == "__main__":
    main()
