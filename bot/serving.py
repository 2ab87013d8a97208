"""How `kefu serve` runs uvicorn: the options that depend on kefu's settings."""

from kefu.settings import Settings


def uvicorn_options(settings: Settings) -> dict:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so any local client (or a
    proxy passing on what its client claimed) could choose the address the rate limits count.
    Forwarded headers are read only from the configured proxies, and by default from none."""
    trusted = settings.trusted_proxies
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": ",".join(trusted) if trusted else None}
