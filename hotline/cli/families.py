"""Registers every command family on the root app (one import per family)."""
from importlib import import_module

from hotline.cli.main import app


def family(module: str) -> None:
    """Import ``hotline.cli.<module>`` and let it add its commands."""
    import_module(f"hotline.cli.{module}").register(app)


family("tickets")
family("users")
family("report")
family("reminders")
family("api")
family("jobs")
family("worker")
family("transcribe")
family("agent")
family("serve")
family("demo")
family("classify")
family("recordings")
family("audit")
family("retention")
