"""What an acknowledgement tells the customer against what the case promises.

``ack --message "…24小时内答复"`` on a major case whose rule is a 4-hour
reply would tell the customer one time and hold the shop to another. The
reply window a message names (hours or days, in digits or Chinese numerals,
in Chinese or English) is read by :func:`message_window`, counted on the
shop's reply calendar like the reply rule itself, and compared with the
promise: more than :data:`TOLERANCE` apart is refused (rule
``ack-message-contradicts-promise``, exit 4), so the person either states
``--reply-by`` to match what the customer heard or changes the message.
A message that names no window is not checked.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from events.errors import RuleRefused
from events.policy import Policy

#: Words a window is said in are rounded ("within a day"): this much apart is the same.
TOLERANCE = timedelta(hours=1)

_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = r"(\d+|[零一二两三四五六七八九十]+)"
_HOURS = re.compile(_NUMBER + r"\s*(?:个)?\s*(?:小时|钟头|h\b|hours?\b|hrs?\b)", re.IGNORECASE)
_DAYS = re.compile(
    _NUMBER + r"\s*(?:个)?\s*(?:工作日|天|日|working days?\b|days?\b)", re.IGNORECASE
)


def _number(text: str) -> int | None:
    """Digits, or a Chinese numeral below 100 (十二, 二十四, 四十八)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _DIGITS.get(tens, -1) if tens else 1
        o = _DIGITS.get(ones, -1) if ones else 0
        return None if t < 0 or o < 0 else t * 10 + o
    return _DIGITS.get(text)


def message_window(message: str) -> int | None:
    """The reply window a message names, in hours (the first one it names), else None."""
    found: list[tuple[int, int]] = []
    for pattern, hours in ((_HOURS, 1), (_DAYS, 24)):
        m = pattern.search(message)
        if m is not None:
            n = _number(m.group(1))
            if n:
                found.append((m.start(), n * hours))
    return min(found)[1] if found else None


def check_message(
    policy: Policy, message: str | None, at: datetime, due: datetime, ref: str
) -> None:
    """Refuse an acknowledgement whose message names another reply time than ``due``."""
    hours = message_window(message or "")
    if hours is None:
        return
    told = policy.calendar.add_hours(at, hours)
    if abs(told - due) > TOLERANCE:
        zone = policy.zone
        raise RuleRefused(
            "ack-message-contradicts-promise",
            f"the message tells the customer {hours} h (by "
            f"{told.astimezone(zone):%Y-%m-%d %H:%M}), but {ref}'s promise is "
            f"{due.astimezone(zone):%Y-%m-%d %H:%M}: state --reply-by to match the message, "
            "or change the message",
        )
