"""Run notifier: ``python -m services.notifier``."""

from shared.serve import serve

from .app import create_app
from .settings import NotifierSettings


def main() -> None:
    serve(NotifierSettings, create_app)


if __name__ == "__main__":
    main()
