"""Personal data kept out of the logs: phone numbers and the ticket access keys in URLs
(`?key=`) masked in every log record, names masked where kefu itself logs them.

A record factory, not a handler filter, so it covers every logger (ours, uvicorn's access log
with its query strings, SQLAlchemy's) whatever handlers are configured later. Formatting stays
the handlers' business: only the string arguments and the message are rewritten.
"""

import logging
import re

# Chinese mobiles (optionally +86, with spaces or dashes) and landlines with an area code.
_MOBILE = re.compile(r"(?<![\dA-Za-z])((?:\+?86[ -]?)?1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?![\dA-Za-z])")
_URL_SECRET = re.compile(r"([?&](?:key|access_key|token)=)[^&\s\"']+")
_LANDLINE = re.compile(r"(?<![\dA-Za-z])(0\d{2,3})[ -]?\d{3,4}[ -]?(\d{4})(?![\dA-Za-z])")


def mask_phones(text: str) -> str:
    """13800138000 -> 138****8000, 010-12345678 -> 010-****5678."""
    text = _MOBILE.sub(r"\1****\2", text)
    return _LANDLINE.sub(r"\1-****\2", text)


def mask_text(text: str) -> str:
    """Phones masked, and the value of a `key=` query parameter (a customer's ticket access key)."""
    return _URL_SECRET.sub(r"\1***", mask_phones(text))


def mask_phone(phone: str) -> str:
    """A known phone field, whatever its format: first three and last four digits."""
    digits = re.sub(r"\D", "", phone or "")
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


def mask_name(name: str) -> str:
    """张三丰 -> 张**: enough for a person reading the log to tell tickets apart."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def _mask_value(value):
    return mask_text(value) if isinstance(value, str) else value


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    if isinstance(record.msg, str):
        record.msg = mask_text(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_value(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _mask_value(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
    return record


def install_log_masking() -> None:
    """Wrap the process's log-record factory once (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_personal_data", False):
        return

    def factory(*args, **kwargs):
        return mask_record(previous(*args, **kwargs))

    factory.masks_personal_data = True
    logging.setLogRecordFactory(factory)
