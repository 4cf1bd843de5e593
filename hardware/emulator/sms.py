"""The 27.005 SMS commands: message format, indications, storage, send, list, read, delete."""

from __future__ import annotations

from hardware.emulator.context import Context, Handler
from hardware.emulator.general import int_setting
from hardware.emulator.outbound import CMS_INVALID_PDU
from hardware.emulator.parser import Command
from hardware.emulator.replies import CmeRefusal, CmsRefusal, PlainError, Prompt, Reply
from hardware.emulator.store import STAT_NAMES, Slot
from hardware.emulator.textmode import slot_lines, submit_pdu

CMS_NOT_ALLOWED, CMS_NOT_SUPPORTED, CMS_BAD_INDEX = 302, 303, 321
STORAGE = "SM"  # one store, the SIM's: listing "ME" too would show clients every message twice

# What AT+CNMI=? offers; anything else is refused rather than silently ignored.
CNMI_ALLOWED = (range(4), range(2), (0, 2), range(3), range(2))


def csms(ctx: Context, command: Command) -> Reply:
    if command.form == "test":
        return ["+CSMS: (0,1)"]
    if command.form == "read":
        return ["+CSMS: 0,1,1,1"]
    int_setting(command, range(2))
    return ["+CSMS: 1,1,1"]


def cmgf(ctx: Context, command: Command) -> Reply:
    if command.form == "test":
        return ["+CMGF: (0,1)"]
    if command.form == "read":
        return [f"+CMGF: {ctx.settings.cmgf}"]
    ctx.settings.cmgf = int_setting(command, range(2), default=0)
    return []


def _simple_setting(name: str, attr: str, allowed: range) -> Handler:
    def handler(ctx: Context, command: Command) -> Reply:
        if command.form == "test":
            return [f"{name}: ({allowed.start}-{allowed.stop - 1})"]
        if command.form == "read":
            return [f"{name}: {getattr(ctx.settings, attr)}"]
        setattr(ctx.settings, attr, int_setting(command, allowed, default=0))
        return []

    return handler


def csca(ctx: Context, command: Command) -> Reply:
    if command.form == "test":
        return []
    ctx.require_sim_sms()
    if command.form == "set":
        ctx.smsc = command.params()[0]
        return []
    return [f'+CSCA: "{ctx.smsc}",{145 if ctx.smsc.startswith("+") else 129}']


def cnmi(ctx: Context, command: Command) -> Reply:
    if command.form == "test":
        return ["+CNMI: (0-3),(0,1),(0,2),(0-2),(0,1)"]
    if command.form == "read":
        return ["+CNMI: " + ",".join(str(v) for v in ctx.settings.cnmi)]
    try:
        given = command.int_params()
    except ValueError:
        raise CmsRefusal(CMS_NOT_SUPPORTED) from None
    values = list(ctx.settings.cnmi)
    for i, value in enumerate(given[:5]):
        if value is not None:
            if value not in CNMI_ALLOWED[i]:
                raise CmsRefusal(CMS_NOT_SUPPORTED)
            values[i] = value
    ctx.settings.cnmi = (values[0], values[1], values[2], values[3], values[4])
    return []


def cpms(ctx: Context, command: Command) -> Reply:
    if command.form == "test":
        return [f'+CPMS: ("{STORAGE}"),("{STORAGE}"),("{STORAGE}")']
    ctx.require_sim_sms()
    counts = f"{ctx.store.used()},{ctx.store.capacity}"
    if command.form == "read":
        return ["+CPMS: " + ",".join([f'"{STORAGE}",{counts}'] * 3)]
    if any(mem.upper() != STORAGE for mem in command.params()):
        raise CmsRefusal(CMS_NOT_ALLOWED)
    return ["+CPMS: " + ",".join([counts] * 3)]


def cmgs(ctx: Context, command: Command) -> Reply:
    """PDU mode `AT+CMGS=<length>`, or text mode `AT+CMGS="<number>"`: answered with a prompt."""
    if command.form == "test":
        return []
    if command.form != "set":
        raise PlainError("AT+CMGS needs a parameter")
    ctx.require_sim_sms()
    if ctx.settings.cmgf == 1:
        to = command.params()[0]
        return Prompt(lambda text: _sent_lines(ctx, *submit_pdu(to, text)))
    try:
        length = int_setting(command, range(1, 177))
    except CmeRefusal:
        raise CmsRefusal(CMS_INVALID_PDU) from None
    return Prompt(lambda pdu: _sent_lines(ctx, pdu, length))


def _sent_lines(ctx: Context, pdu: str, length: int) -> list[str]:
    ctx.require_network()
    part = ctx.network.submit(pdu, length)
    return [f"+CMGS: {part.message_ref}"]


def _stat_param(ctx: Context, command: Command) -> int:
    """<stat> as a number in PDU mode, a name in text mode; the default is "unread"."""
    params = command.params() if command.form == "set" else []
    if not params or params[0] == "":
        return 0
    if ctx.settings.cmgf == 1:
        names = {v: k for k, v in STAT_NAMES.items()}
        if params[0].upper() not in names:
            raise CmsRefusal(CMS_NOT_SUPPORTED)
        return names[params[0].upper()]
    return int_setting(command, range(5))


def _slot_lines(ctx: Context, slot: Slot, prefix: str) -> list[str]:
    if ctx.settings.cmgf == 1:
        return slot_lines(slot, prefix)
    head = f"{prefix}: {slot.index}," if prefix == "+CMGL" else f"{prefix}: "
    return [f"{head}{slot.status},,{slot.tpdu_length}", slot.pdu]


def cmgl(ctx: Context, command: Command) -> Reply:
    if command.form == "test":
        if ctx.settings.cmgf == 1:
            return ["+CMGL: (" + ",".join(f'"{n}"' for n in STAT_NAMES.values()) + ")"]
        return ["+CMGL: (0-4)"]
    ctx.require_sim_sms()
    lines: list[str] = []
    for slot in ctx.store.list(_stat_param(ctx, command)):
        lines += _slot_lines(ctx, slot, "+CMGL")
    return lines


def _index(ctx: Context, command: Command) -> int:
    try:
        index = int(command.params()[0])
    except ValueError:
        raise CmsRefusal(CMS_BAD_INDEX) from None
    if not ctx.store.valid(index):
        raise CmsRefusal(CMS_BAD_INDEX)
    return index


def cmgr(ctx: Context, command: Command) -> Reply:
    """An empty slot answers a bare OK, as Wavecom and SIMCom modules do."""
    if command.form == "test":
        return []
    ctx.require_sim_sms()
    slot = ctx.store.read(_index(ctx, command))
    return [] if slot is None else _slot_lines(ctx, slot, "+CMGR")


def cmgd(ctx: Context, command: Command) -> Reply:
    if command.form == "test":
        used = ",".join(str(i) for i in ctx.store.indices())
        return [f"+CMGD: ({used}),(0-4)"]
    ctx.require_sim_sms()
    params = command.params()
    try:
        flag = int(params[1]) if len(params) > 1 and params[1] else 0
    except ValueError:
        raise CmsRefusal(CMS_NOT_SUPPORTED) from None
    if flag not in range(5):
        raise CmsRefusal(CMS_NOT_SUPPORTED)
    index = _index(ctx, command) if flag == 0 else 0
    ctx.store.delete(index, flag)
    return []


HANDLERS: dict[str, Handler] = {
    "+CSMS": csms,
    "+CMGF": cmgf,
    "+CMMS": _simple_setting("+CMMS", "cmms", range(3)),
    "+CSDH": _simple_setting("+CSDH", "csdh", range(2)),
    "+CSCA": csca,
    "+CNMI": cnmi,
    "+CPMS": cpms,
    "+CMGS": cmgs,
    "+CMGL": cmgl,
    "+CMGR": cmgr,
    "+CMGD": cmgd,
}
