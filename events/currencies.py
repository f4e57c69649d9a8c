"""The currency codes an amount may carry: ISO 4217, and nothing else.

One list for the whole project (the CLI's ``--currency``, import rows, the
config's ``[shop] currency`` all read it). The codes are the ISO 4217 list
of current currencies and funds, without the precious metals, the testing
code and "no currency" (``XAU``, ``XAG``, ``XPD``, ``XPT``, ``XTS``,
``XXX``): nothing a shop owes a customer. ``RMB``, the name people write for
the yuan, is read as ``CNY``.
"""

from __future__ import annotations

from events.errors import InvalidInput

ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV
    BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK
    DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL
    HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR
    MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND
    TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XBA
    XBB XBC XBD XCD XCG XDR XOF XPF XSU XUA YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 (a block of codes reads better than 180 lines)
)

#: Names people write that are not the code.
ALIASES = {"RMB": "CNY"}


def currency_code(text: str) -> str:
    """The ISO 4217 code ``text`` names (case-insensitive; ``RMB`` is ``CNY``).

    An unknown code is bad input (InvalidInput: exit 2).
    """
    code = text.strip().upper()
    code = ALIASES.get(code, code)
    if code not in ISO_4217:
        raise InvalidInput(f"unknown currency code {text.strip()!r} (ISO 4217, e.g. CNY, USD)")
    return code
