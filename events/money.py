"""Amounts of money: a plain sum a shop can owe, or refused (InvalidInput: exit 2)."""

from __future__ import annotations

from decimal import Decimal

from events.errors import InvalidInput

# Money a shop can owe: far above any complaint, far below what breaks arithmetic
# (an amount like 1E+999999999 is finite, but summing it in a report overflows).
MAX_AMOUNT = Decimal(10) ** 12
MAX_DECIMALS = 4


def check_amount(amount: Decimal | None, what: str = "amount") -> None:
    """Refuse an amount that is not a plain sum of money (InvalidInput: exit 2)."""
    if amount is None:
        return
    if not amount.is_finite():
        raise InvalidInput(f"{what} must be a finite number")
    if amount < 0:
        raise InvalidInput(f"{what} must not be negative")
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"{what} must not be above {MAX_AMOUNT:,}")
    exponent = amount.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -MAX_DECIMALS
        and amount != amount.quantize(Decimal(1).scaleb(-MAX_DECIMALS))
    ):
        raise InvalidInput(f"{what} has more than {MAX_DECIMALS} decimal places")
