"""Run request_intake: ``python -m services.request_intake``."""

import gc

from shared.serve import serve

from .factory import SERVICE_NAME, create_app
from .settings import IntakeSettings

# The system-user lookup and token endpoint answer in about half a millisecond, but a full
# collection of everything imported took tens of milliseconds and set their p99 (71 ms against a
# p95 of 11 ms in `sysaccess bench token`). Objects that live as long as the process are frozen
# out of the collector, and young garbage is collected less often.
GC_THRESHOLDS = (50_000, 20, 20)


def main() -> None:
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    serve(IntakeSettings, create_app, SERVICE_NAME)


if __name__ == "__main__":
    main()
