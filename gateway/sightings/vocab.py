"""Word lists for reading sightings: colours, makes and models, nouns worth counting,
and the default gazetteer.

Spellings use a small notation so one entry covers how people type it: a space means
"one or more spaces or hyphens" ("land rover"), "-" an optional space or hyphen
("d-max": dmax, d max, d-max), "~" an optional hyphen only ("pick~up": pickup, pick-up,
never the verb "pick up"). Plurals are added by the reader ("vans", "hiluxes").
"""

from __future__ import annotations

from dataclasses import dataclass


def words(text: str) -> frozenset[str]:
    """A set of words written as one string, as word lists are easiest to read."""
    return frozenset(text.split())


@dataclass(frozen=True)
class VehicleWord:
    make: str | None  # canonical make ("Land Rover"), None for "van", "4x4"...
    kind: str | None  # vehicle type ("pickup"), None when the word does not say
    ambiguous: bool  # also an ordinary word ("ranger", "partner"): needs a make or colour first


# Vehicle types, canonical name first.
_TYPES: dict[str, tuple[str, ...]] = {
    "car": ("car", "motor", "saloon", "hatchback", "estate car", "coupe", "people carrier", "mpv"),
    "van": ("van", "minibus", "mini bus", "camper-van", "camper", "luton", "panel van"),
    "pickup": ("pick~up", "pick up truck", "truck", "double-cab", "crew-cab"),
    "4x4": ("4x4", "4 x 4", "4 by 4", "four by four", "4wd", "suv", "jeep", "off-roader"),
    "quad bike": ("quad", "quad-bike", "atv"),
    "motorbike": ("motor-bike", "motorcycle", "motor-cycle", "scrambler", "dirt bike", "moped"),
    "tractor": ("tractor",),
    "lorry": ("lorry", "lorries", "hgv", "artic", "tipper", "tipper truck"),
}
_COUNT_ONLY = ("vehicle",)  # counts as a vehicle, says nothing of its type

# Makes: canonical name -> (spellings, default type for every model of the make).
_MAKES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "Ford": (("ford",), None),
    "Vauxhall": (("vauxhall", "vauxhal"), None),
    "Volkswagen": (("volkswagen", "volkswagon", "vw"), None),
    "Land Rover": (("land rover", "landy", "landie"), "4x4"),
    "Toyota": (("toyota",), None),
    "Mitsubishi": (("mitsubishi", "mitsubushi", "mitsi", "mitsy"), None),
    "Nissan": (("nissan", "nisan"), None),
    "Isuzu": (("isuzu", "izuzu"), "pickup"),
    "Subaru": (("subaru", "scooby"), None),
    "BMW": (("bmw", "beemer"), None),
    "Audi": (("audi",), None),
    "Mercedes": (("mercedes", "mercedes benz", "merc", "benz"), None),
    "Volvo": (("volvo",), None),
    "Skoda": (("skoda",), None),
    "Peugeot": (("peugeot", "peugot"), None),
    "Renault": (("renault",), None),
    "Citroen": (("citroen", "citroën", "citreon"), None),
    "Fiat": (("fiat",), None),
    "Honda": (("honda",), None),
    "Hyundai": (("hyundai",), None),
    "Kia": (("kia",), None),
    "Mazda": (("mazda",), None),
    "Suzuki": (("suzuki",), None),
    "Jeep": ((), "4x4"),  # "jeep" alone is any 4x4 to most people: see _TYPES
    "Dacia": (("dacia",), None),
    "SsangYong": (("ssang-yong",), None),
    "Porsche": (("porsche",), None),
    "Jaguar": (("jaguar", "jag"), None),
    "Lexus": (("lexus",), None),
    "Alfa Romeo": (("alfa romeo", "alfa"), None),
    "Saab": (("saab",), None),
    "Chevrolet": (("chevrolet", "chevy"), None),
    "Tesla": (("tesla",), None),
    "Lada": (("lada",), "4x4"),
    "Daihatsu": (("daihatsu",), None),
    "Iveco": (("iveco",), "van"),
    "LDV": (("ldv",), "van"),
    "DAF": (("daf",), "lorry"),
    "Scania": (("scania",), "lorry"),
    "JCB": (("jcb",), None),
    "Yamaha": (("yamaha",), None),
    "Kawasaki": (("kawasaki",), None),
    "Polaris": (("polaris",), "quad bike"),
    "Can-Am": (("can~am",), "quad bike"),
    "Massey Ferguson": (("massey ferguson", "massey"), "tractor"),
    "John Deere": (("john deere",), "tractor"),
    "New Holland": (("new holland",), "tractor"),
    "Fendt": (("fendt",), "tractor"),
    "Claas": (("claas",), "tractor"),
    "Kubota": (("kubota",), "tractor"),
}
# Makes that are also ordinary words.
_AMBIGUOUS_MAKES: dict[str, tuple[str, ...]] = {
    "Seat": ("seat",),
    "Mini": ("mini",),
    "Smart": ("smart",),
}

# Models: spellings, make, type. The second table holds models that are also words.
_MODELS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("transit", "transit connect", "transit custom", "tourneo"), "Ford", "van"),
    (("mondeo", "kuga", "s-max"), "Ford", "car"),
    (("astra", "corsa", "vectra", "zafira", "mokka"), "Vauxhall", "car"),
    (("vivaro", "movano"), "Vauxhall", "van"),
    (("frontera",), "Vauxhall", "4x4"),
    (("passat", "touran"), "Volkswagen", "car"),
    (("crafter",), "Volkswagen", "van"),
    (("amarok",), "Volkswagen", "pickup"),
    (("touareg", "tiguan"), "Volkswagen", "4x4"),
    (("defender", "freelander", "range rover", "rangie", "evoque", "velar"), "Land Rover", "4x4"),
    (("hilux",), "Toyota", "pickup"),
    (("land-cruiser", "rav-4"), "Toyota", "4x4"),
    (("yaris", "corolla", "prius", "auris", "aygo", "avensis"), "Toyota", "car"),
    (("hiace", "proace"), "Toyota", "van"),
    (("l-200",), "Mitsubishi", "pickup"),
    (("shogun", "pajero", "outlander"), "Mitsubishi", "4x4"),
    (("navara", "np-300"), "Nissan", "pickup"),
    (("x-trail", "terrano", "pathfinder"), "Nissan", "4x4"),
    (("qashqai", "juke", "micra"), "Nissan", "car"),
    (("nv-200", "primastar"), "Nissan", "van"),
    (("d-max",), "Isuzu", "pickup"),
    (("impreza", "wrx"), "Subaru", "car"),
    (("g-wagon", "g-class"), "Mercedes", "4x4"),
    (("sprinter", "vito", "citan"), "Mercedes", "van"),
    (("xc-90", "xc-60", "xc-40"), "Volvo", "4x4"),
    (("octavia", "fabia"), "Skoda", "car"),
    (("kodiaq", "karoq"), "Skoda", "4x4"),
    (("kangoo",), "Renault", "van"),
    (("clio", "megane"), "Renault", "car"),
    (("berlingo",), "Citroen", "van"),
    (("ducato", "doblo"), "Fiat", "van"),
    (("punto",), "Fiat", "car"),
    (("cr-v",), "Honda", "4x4"),
    (("tucson", "santa fe"), "Hyundai", "4x4"),
    (("sportage", "sorento"), "Kia", "4x4"),
    (("picanto",), "Kia", "car"),
    (("bt-50",), "Mazda", "pickup"),
    (("jimny", "vitara", "grand vitara"), "Suzuki", "4x4"),
    (("cherokee", "grand cherokee"), "Jeep", "4x4"),
    (("sandero",), "Dacia", "car"),
    (("musso",), "SsangYong", "pickup"),
    (("rexton", "korando"), "SsangYong", "4x4"),
    (("niva",), "Lada", "4x4"),
)
_AMBIGUOUS_MODELS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("ranger", "maverick"), "Ford", "pickup"),
    (("focus", "fiesta", "escort", "galaxy", "puma", "sierra"), "Ford", "car"),
    (("insignia",), "Vauxhall", "car"),
    (("combo",), "Vauxhall", "van"),
    (("golf", "polo"), "Volkswagen", "car"),
    (("transporter", "caddy", "t5", "t6"), "Volkswagen", "van"),
    (("discovery", "disco", "rover"), "Land Rover", "4x4"),
    (("warrior", "barbarian"), "Mitsubishi", "pickup"),
    (("patrol",), "Nissan", "4x4"),
    (("trooper",), "Isuzu", "4x4"),
    (("rodeo",), "Isuzu", "pickup"),
    (("forester", "outback"), "Subaru", "4x4"),
    (("legacy",), "Subaru", "car"),
    (("x3", "x5", "x6"), "BMW", "4x4"),
    (("q5", "q7"), "Audi", "4x4"),
    (("a3", "a4", "a6"), "Audi", "car"),
    (("superb",), "Skoda", "car"),
    (("yeti",), "Skoda", "4x4"),
    (("partner", "boxer", "expert"), "Peugeot", "van"),
    (("master", "trafic"), "Renault", "van"),
    (("relay", "dispatch"), "Citroen", "van"),
    (("panda",), "Fiat", "car"),
    (("civic", "jazz", "accord"), "Honda", "car"),
    (("swift",), "Suzuki", "car"),
    (("wrangler",), "Jeep", "4x4"),
    (("duster",), "Dacia", "4x4"),
    (("cayenne",), "Porsche", "4x4"),
    (("daily",), "Iveco", "van"),
)


def _vehicle_words() -> dict[str, VehicleWord]:
    found: dict[str, VehicleWord] = {}
    for kind, spellings in _TYPES.items():
        found.update(dict.fromkeys(spellings, VehicleWord(None, kind, False)))
    found.update(dict.fromkeys(_COUNT_ONLY, VehicleWord(None, None, False)))
    for make, (spellings, default_kind) in _MAKES.items():
        found.update(dict.fromkeys(spellings, VehicleWord(make, default_kind, False)))
    for make, spellings in _AMBIGUOUS_MAKES.items():
        found.update(dict.fromkeys(spellings, VehicleWord(make, None, True)))
    for table, ambiguous in ((_MODELS, False), (_AMBIGUOUS_MODELS, True)):
        for spellings, make, kind in table:
            found.update(dict.fromkeys(spellings, VehicleWord(make, kind, ambiguous)))
    return found


VEHICLE_WORDS: dict[str, VehicleWord] = _vehicle_words()  # spelling (notation) -> meaning
MAKE_SPELLINGS = frozenset(
    spelling
    for spellings in (*(s for s, _ in _MAKES.values()), *_AMBIGUOUS_MAKES.values())
    for spelling in spellings
)


def _colours() -> dict[str, str]:
    base = {
        "black": ("black", "blk"),
        "white": ("white", "wht"),
        "silver": ("silver", "sliver"),
        "grey": ("grey", "gray"),
        "red": ("red",),
        "blue": ("blue",),
        "green": ("green",),
        "yellow": ("yellow",),
        "orange": ("orange",),
        "brown": ("brown",),
        "beige": ("beige",),
        "gold": ("gold", "champagne"),
        "bronze": ("bronze",),
        "cream": ("cream",),
        "purple": ("purple",),
        "maroon": ("maroon", "burgundy", "claret"),
        "pink": ("pink",),
        "turquoise": ("turquoise",),
    }
    colours = {spelling: name for name, spellings in base.items() for spelling in spellings}
    for shade, canonical in (("dark", "dark"), ("light", "light"), ("pale", "light")):
        for name in ("blue", "green", "grey", "red"):
            for spelling in base[name]:
                colours[f"{shade}-{spelling}"] = f"{canonical} {name}"
    colours.update({"navy": "dark blue", "navy blue": "dark blue", "sky blue": "light blue"})
    colours.update({"gunmetal": "dark grey", "charcoal": "dark grey", "racing green": "dark green"})
    colours.update({"bottle green": "dark green"})
    return colours


COLOURS: dict[str, str] = _colours()  # spelling (notation) -> canonical colour

PEOPLE = words(
    """man men lad lads bloke blokes person persons people male males youth youths guy guys
    fella fellas fellow fellows chap chaps woman women lady ladies female females boy boys
    girl girls kid kids teenager teenagers teens individual individuals occupant occupants
    poacher poachers courser coursers figure figures geezer geezers"""
)
DOGS = words(
    """dog dogs lurcher lurchers greyhound greyhounds whippet whippets hound hounds terrier
    terriers saluki salukis longdog longdogs collie collies spaniel spaniels mastiff mastiffs
    pup pups puppy puppies"""
)
NUMBER_WORDS: dict[str, int] = {
    "no": 0, "zero": 0, "a": 1, "an": 1, "one": 1, "another": 1, "single": 1, "two": 2,
    "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "dozen": 12, "couple": 2,
}  # fmt: skip
# Counting phrases, matched before single words ("a couple of" is 2, not 1).
NUMBER_PHRASES: dict[str, int] = {
    "a couple of": 2, "couple of": 2, "a pair of": 2, "pair of": 2, "a dozen": 12,
    "half a dozen": 6,
}  # fmt: skip
# Words that may stand between a number and what it counts ("2 big black lurchers").
ADJECTIVES = words(
    """old new big small large little young older younger tall short skinny thin fat stocky
    scruffy rough dodgy suspicious unmarked unknown battered tatty dirty muddy clean rusty
    lowered tinted hooded masked more other extra further different similar separate local
    brindle brindled fawn bull smooth hairy wiry cross bred coated metallic dark light pale
    x"""
)
# What the people are after, between the number and them: "2 hare coursers".
QUARRY = words("deer hare hares game rabbit rabbits pheasant fox badger")
# A colour right before one of these describes something other than a vehicle.
NOT_VEHICLES = words(
    """jacket jackets coat coats hoodie hoodies hoody top tops hat hats cap caps beanie
    beanies trousers jeans joggers trackies tracksuit tracksuits balaclava balaclavas jumper
    jumpers fleece fleeces gloves boots clothes clothing gear hair beard beards collar
    light lights lamp lamps torch torches beam filter lane road rd street st farm house gate
    gates barn shed hall cottage cottages bridge wood woods field fields track drove sheep
    horse horses cattle cow cows deer hare hares pheasant pheasants bag bags"""
)
# Words before a number that mean it is a time or names people already counted.
NOT_A_COUNT_AFTER = words("the those these all both same at @ since until till")

DEFAULT_GAZETTEER: tuple[str, ...] = (
    "Docking", "Bircham", "Great Bircham", "Bircham Newton", "Bircham Tofts", "Fring",
    "Sedgeford", "Stanhoe", "Syderstone", "Burnham Market", "Burnham Overy Staithe",
    "Burnham Thorpe", "Burnham Deepdale", "Burnham Norton", "Great Massingham",
    "Little Massingham", "Heacham", "Snettisham", "Hunstanton", "Old Hunstanton", "Thornham",
    "Titchwell", "Brancaster", "Brancaster Staithe", "Ringstead", "Sculthorpe", "Fakenham",
    "King's Lynn", "Dersingham", "Sandringham", "Ingoldisthorpe", "Shernborne", "Anmer",
    "Flitcham", "Hillington", "Harpley", "Houghton", "East Rudham", "West Rudham",
    "Tattersett", "South Creake", "North Creake", "Barwick", "Choseley",
    "Holme-next-the-Sea", "Wolferton", "Castle Rising", "Grimston", "Congham", "Gayton",
    "West Acre", "Castle Acre", "Narborough", "Swaffham", "Downham Market",
    "Terrington St Clement", "Wells-next-the-Sea", "Holkham", "Walsingham", "Weasenham",
    "East Raynham", "West Raynham", "Helhoughton", "Tatterford",
)  # fmt: skip
