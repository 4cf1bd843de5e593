"""Ofcom's telephone numbers for TV and radio drama: the only numbers tests may use.

Ofcom keeps 20 blocks of 1,000 numbers that will never be given to anyone: 15 city
blocks, the fictional area code 01632, and one each for mobiles (07700 900xxx),
freephone, premium rate and UK-wide numbers. That is 20,000 numbers in all, so a test that
needs more rows than that must repeat numbers.
"""

from __future__ import annotations

# E.164 prefixes; each is followed by three digits, 000-999.
MOBILE = "+447700900"
RANGES = (
    MOBILE,  # 07700 900xxx, mobile: the one range that can receive an SMS
    "+441134960",  # Leeds 0113 496 0xxx
    "+441144960",  # Sheffield
    "+441154960",  # Nottingham
    "+441164960",  # Leicester
    "+441174960",  # Bristol
    "+441184960",  # Reading
    "+441214960",  # Birmingham
    "+441314960",  # Edinburgh
    "+441414960",  # Glasgow
    "+441514960",  # Liverpool
    "+441614960",  # Manchester
    "+441914980",  # Newcastle, Sunderland, Durham 0191 498 0xxx
    "+442079460",  # London 020 7946 0xxx
    "+442920180",  # Cardiff 029 2018 0xxx
    "+442896496",  # Northern Ireland 028 9649 6xxx
    "+441632960",  # no real place: 01632 960xxx
    "+448081570",  # freephone 08081 570xxx
    "+449098790",  # premium rate 0909 879 0xxx
    "+443069990",  # UK-wide 03069 990xxx
)
COUNT = 1000 * len(RANGES)


def mobile(i: int) -> str:
    """The i-th drama mobile number, wrapping after 1,000."""
    return f"{MOBILE}{i % 1000:03d}"


def numbers(count: int) -> list[str]:
    """`count` distinct drama numbers in E.164, mobiles first."""
    if not 0 <= count <= COUNT:
        raise ValueError(f"Ofcom has {COUNT} drama numbers, not {count}")
    return [f"{RANGES[i // 1000]}{i % 1000:03d}" for i in range(count)]


# North America keeps 555-0100 to 555-0199 for fiction in every area code: 100 numbers
# each. They top up the 20,000 UK numbers where a test needs more distinct recipients.
NANP_AREAS = tuple(range(201, 290)) + tuple(range(301, 390)) + tuple(range(401, 490))
FICTIONAL_COUNT = COUNT + 100 * len(NANP_AREAS)


def fictional(count: int) -> list[str]:
    """`count` distinct numbers no one can own: Ofcom's drama numbers, then NANP 555-01xx."""
    if not 0 <= count <= FICTIONAL_COUNT:
        raise ValueError(f"there are {FICTIONAL_COUNT} fictional numbers here, not {count}")
    uk = numbers(min(count, COUNT))
    extra = count - len(uk)
    return uk + [f"+1{NANP_AREAS[i // 100]}55501{i % 100:02d}" for i in range(extra)]
