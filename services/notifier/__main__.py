"""Run notifier: ``python -m services.notifier`` (settings -> factory -> serve)."""

from shared.serve import serve

from .factory import SERVICE_NAME, create_app
from .settings import NotifierSettings


def main() -> None:
    serve(NotifierSettings, create_app, SERVICE_NAME)


if __name__ == "__main__":
    main()
