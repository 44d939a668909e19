"""Run notifier: ``python -m services.notifier`` (settings -> factory -> serve)."""

from shared.serve import serve

from .factory import create_app
from .settings import NotifierSettings


def main() -> None:
    serve(NotifierSettings, create_app)


if __name__ == "__main__":
    main()
