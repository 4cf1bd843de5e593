"""V.250 basics and the 27.007 commands: identity, SIM, registration, signal."""

from __future__ import annotations

from hardware.emulator.context import CME_SIM_NOT_INSERTED, Context, Handler
from hardware.emulator.parser import Command
from hardware.emulator.replies import CmeRefusal, PlainError, Reply

CME_NOT_ALLOWED, CME_WRONG_PIN, CME_BAD_PARAMETERS = 3, 16, 50
ACT_EUTRAN = 7  # the access technology we claim: 4G, since UK 3G is gone


def int_setting(command: Command, allowed: range, default: int | None = None) -> int:
    """The single integer a set command (or basic command) carries; +CME ERROR 50 if bad."""
    raw = command.args.strip()
    if raw == "" and default is not None:
        return default
    try:
        value = int(raw.split(",")[0].strip('"'))
    except ValueError:
        raise CmeRefusal(CME_BAD_PARAMETERS) from None
    if value not in allowed:
        raise CmeRefusal(CME_BAD_PARAMETERS)
    return value


def basic_flag(ctx: Context, command: Command) -> Reply:
    """E (echo), V (verbose), Q (quiet): only echo can change; V0 and Q1 are refused."""
    value = int_setting(command, range(2), default=0)
    if command.name == "E":
        ctx.settings.echo = value == 1
    elif (command.name, value) in (("V", 0), ("Q", 1)):
        raise PlainError("numeric or quiet result codes are not emulated")
    return []


def reset(ctx: Context, command: Command) -> Reply:
    ctx.reset()
    return []


def accept(ctx: Context, command: Command) -> Reply:
    """Commands with no effect on an emulated line (&C, &D, &W, S-registers, X)."""
    return ["000"] if command.form == "read" else []


def identify(ctx: Context, command: Command) -> Reply:
    p = ctx.profile
    return [
        f"Manufacturer: {p.manufacturer}",
        f"Model: {p.model}",
        f"Revision: {p.revision}",
        f"IMEI: {p.imei}",
        "+GCAP: +CGSM",
    ]


def _fixed(field: str) -> Handler:
    """A read-only identity string such as +CGMI; the test form just answers OK."""

    def handler(ctx: Context, command: Command) -> Reply:
        if command.form == "test":
            return []
        if command.form != "exec":
            raise PlainError(command.name)
        if field == "imsi":
            ctx.require_sim()
        return [str(getattr(ctx.profile, field))]

    return handler


def cmee(ctx: Context, command: Command) -> Reply:
    if command.form == "read":
        return [f"+CMEE: {ctx.settings.cmee}"]
    if command.form == "test":
        return ["+CMEE: (0-2)"]
    ctx.settings.cmee = int_setting(command, range(3), default=0)
    return []


def cpin(ctx: Context, command: Command) -> Reply:
    if command.form == "test":
        return []
    if not ctx.sim_present:
        raise CmeRefusal(CME_SIM_NOT_INSERTED)
    if command.form == "read":
        return [f"+CPIN: {ctx.sim.status}"]
    if command.form != "set":
        return []
    if ctx.sim.unlocked:
        raise CmeRefusal(CME_NOT_ALLOWED)
    if ctx.sim.status == "SIM PUK":
        raise CmeRefusal(12)
    if not ctx.sim.enter(command.params()[0]):
        raise CmeRefusal(CME_WRONG_PIN)
    if ctx.settings.creg:
        ctx.urc(_creg_line(ctx, unsolicited=True))
    return []


def creg_urc(ctx: Context) -> str | None:
    """`+CREG: <stat>` after the registration changed, when AT+CREG=1 or 2 asked for it."""
    return _creg_line(ctx, unsolicited=True) if ctx.settings.creg else None


def _creg_line(ctx: Context, *, unsolicited: bool, name: str = "+CREG") -> str:
    stat = ctx.registration
    n = ctx.settings.creg
    fields = [] if unsolicited else [str(n)]
    fields.append(str(stat))
    if n == 2 and stat in (1, 5):
        fields += ['"00C3"', '"0001ABCD"', str(ACT_EUTRAN)]
    return f"{name}: " + ",".join(fields)


def creg(ctx: Context, command: Command) -> Reply:
    """+CREG, and +CGREG/+CEREG, which 4G modules answer the same way."""
    if command.form == "read":
        return [_creg_line(ctx, unsolicited=False, name=command.name)]
    if command.form == "test":
        return [f"{command.name}: (0-2)"]
    if command.form == "set":
        value = int_setting(command, range(3))
        if command.name == "+CREG":
            ctx.settings.creg = value
    return []


def cops(ctx: Context, command: Command) -> Reply:
    p = ctx.profile
    if command.form == "test":
        return [f'+COPS: (2,"{p.operator}","{p.operator}","{p.operator_numeric}",7),,(0-4),(0-2)']
    if command.form == "set":
        params = command.int_params()
        if params and params[0] == 3 and len(params) > 1 and params[1] in (0, 1, 2):
            ctx.settings.cops_format = params[1]
        return []
    if not ctx.registered:
        return ["+COPS: 0"]
    fmt = ctx.settings.cops_format
    name = p.operator_numeric if fmt == 2 else p.operator
    return [f'+COPS: 0,{fmt},"{name}",{ACT_EUTRAN}']


def csq(ctx: Context, command: Command) -> Reply:
    if command.form == "test":
        return ["+CSQ: (0-31,99),(0-7,99)"]
    return [f"+CSQ: {ctx.faults.now.rssi},99"]


def cnum(ctx: Context, command: Command) -> Reply:
    if command.form == "test":
        return []
    ctx.require_sim()
    return [f'+CNUM: "","{ctx.profile.number}",145']


def cgatt(ctx: Context, command: Command) -> Reply:
    """Packet-domain attach: gammu's network query asks it and gives up on an error."""
    if ctx.faults.now.no_cgatt:
        raise PlainError("AT+CGATT is not supported")
    if command.form == "test":
        return ["+CGATT: (0,1)"]
    if command.form == "read":
        return [f"+CGATT: {1 if ctx.registered else 0}"]
    return []


def cfun(ctx: Context, command: Command) -> Reply:
    """Power level: always full; setting it is accepted and does nothing (no USB re-plug)."""
    if command.form == "read":
        return ["+CFUN: 1"]
    if command.form == "test":
        return ["+CFUN: (0,1,4),(0,1)"]
    return []


def cscs(ctx: Context, command: Command) -> Reply:
    charsets = ("IRA", "GSM", "UCS2")
    if command.form == "read":
        return [f'+CSCS: "{ctx.settings.cscs}"']
    if command.form == "test":
        return ["+CSCS: (" + ",".join(f'"{c}"' for c in charsets) + ")"]
    if command.form == "set":
        value = command.params()[0].upper()
        if value not in charsets:
            raise CmeRefusal(CME_BAD_PARAMETERS)
        ctx.settings.cscs = value
    return []


HANDLERS: dict[str, Handler] = {
    "E": basic_flag,
    "V": basic_flag,
    "Q": basic_flag,
    "Z": reset,
    "&F": reset,
    "&C": accept,
    "&D": accept,
    "&K": accept,
    "&W": accept,
    "X": accept,
    "I": identify,
    "+CGMI": _fixed("manufacturer"),
    "+GMI": _fixed("manufacturer"),
    "+CGMM": _fixed("model"),
    "+GMM": _fixed("model"),
    "+CGMR": _fixed("revision"),
    "+GMR": _fixed("revision"),
    "+CGSN": _fixed("imei"),
    "+GSN": _fixed("imei"),
    "+CIMI": _fixed("imsi"),
    "+CMEE": cmee,
    "+CPIN": cpin,
    "+CREG": creg,
    "+CGREG": creg,
    "+CEREG": creg,
    "+COPS": cops,
    "+CSQ": csq,
    "+CNUM": cnum,
    "+CFUN": cfun,
    "+CGATT": cgatt,
    "+CSCS": cscs,
}
