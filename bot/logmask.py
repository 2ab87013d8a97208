"""Personal data kept out of the logs: phone and ID-card numbers and the ticket access keys in
URLs (`?key=`) masked in every log record, names masked where kefu itself logs them.

A record factory, not a handler filter, so it covers every logger (ours, uvicorn's access log
with its query strings, SQLAlchemy's) whatever handlers are configured later. Formatting stays
the handlers' business: only the string arguments and the message are rewritten.
"""

import logging
import re
from urllib.parse import quote, unquote

# Only a digit next to a number protects it: letters do not (`tel13812345678`, and the `D` of
# a percent-escape such as %9D right before the digits). Whatever else precedes, it is masked.
# Chinese ID cards (18 characters, the last may be X): region kept, birth date and serial masked.
_ID_CARD = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
# Chinese mobiles (optionally +86) and landlines with an area code, their groups apart or not
# (a space, a dash, or the + a form-encoded query string writes for a space).
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[ +-]?)?1[3-9]\d)[ +-]?\d{4}[ +-]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[ +-]?\d{3,4}[ +-]?(\d{4})(?!\d)")
_URL_SECRET = re.compile(r"([?&](?:key|access_key|token)=)[^&\s\"']+")
_ESCAPED_RUN = re.compile(r"[^\s\"']*%[0-9A-Fa-f]{2}[^\s\"']*")  # a URL or query as logged: no spaces or quotes
# Printable ASCII that stays as it is when a masked URL is escaped again (space, %, quotes,
# line breaks and every non-ASCII character are escaped, so a record stays one line).
_URL_SAFE = "!#$&'()*+,-./:;=?@[]^_`{|}~"


def mask_numbers(text: str) -> str:
    """110101199003071234 -> 110101********1234, 13800138000 -> 138****8000, 010-12345678 -> 010-****5678."""
    text = _ID_CARD.sub(r"\1********\2", text)
    text = _MOBILE.sub(r"\1****\2", text)
    return _LANDLINE.sub(r"\1-****\2", text)


def mask_escaped(text: str) -> str:
    """Numbers masked in text as a customer typed it: a URL's percent-escapes (%E7%94%B5%E8%AF%9D
    for 电话, %20, %2B86) are decoded first, and the text is escaped again only if it changed."""
    decoded = unquote(text, errors="replace")
    masked = mask_numbers(decoded)
    return text if masked == decoded else quote(masked, safe=_URL_SAFE)


def mask_text(text: str, decode: bool = True) -> str:
    """Phone and ID-card numbers masked (in percent-escaped URLs too, unless `decode` is False),
    and the value of a `key=` query parameter (a customer's ticket access key)."""
    if decode:
        text = _ESCAPED_RUN.sub(lambda run: mask_escaped(run.group()), text)
    text = mask_numbers(text)
    return _URL_SECRET.sub(r"\1***", text)


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
        # A format string is no URL: its %02d is a placeholder, not an escape to decode.
        record.msg = mask_text(record.msg, decode=not record.args)
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
