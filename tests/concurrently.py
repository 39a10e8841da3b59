"""Run test code in several threads at once, failing the test if any of them raised."""
from __future__ import annotations

import threading
from collections.abc import Callable


def run_concurrently(*calls: Callable[[], object]) -> None:
    """Start one thread per call, wait for all, then re-raise the first exception any of them raised.

    An exception in a plain thread is only printed; here it fails the test.
    """
    errors: list[BaseException] = []

    def guarded(call: Callable[[], object]) -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - re-raised below in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
