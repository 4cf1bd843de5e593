"""Sightings as farmers and gamekeepers text them, each with everything the parser should
read from it. A field left out of an expected Parsed is asserted empty: every row is the
full answer, and the rows with nothing to find matter as much as the rest.
"""

from __future__ import annotations

from gateway.sightings.parser import Parsed

SIGHTINGS: list[tuple[str, Parsed]] = [
    # --- the examples from the issue
    (
        "Silver Subaru kx19abc 3 men 2 lurchers heading north on the B1153 towards Docking",
        Parsed(
            registrations=("KX19 ABC",), colours=("silver",), makes=("Subaru",),
            places=("Docking",), roads=("B1153",), people=3, dogs=2,
            direction="north on the B1153 towards Docking", dogs_seen=True,
        ),
    ),
    (
        "white transit no lights at Church Farm, Bircham PE31 6RJ",
        Parsed(
            colours=("white",), makes=("Ford",), vehicle_types=("van",),
            postcodes=("PE31 6RJ",), places=("Bircham",),
        ),
    ),
    (
        "///filled.count.soap lamping TF 7831 3851",
        Parsed(grid_refs=("TF 7831 3851",), what3words=("filled.count.soap",)),
    ),
    (
        "2 vans and a pickup, dogs out, field behind the church",
        Parsed(vehicle_types=("van", "pickup"), vehicles=3, dogs_seen=True),
    ),
    # --- nothing to find
    ("thanks", Parsed()),
    ("ok will do", Parsed()),
    ("is anyone there?", Parsed()),
    ("Thanks, all quiet here tonight 👍", Parsed()),
    ("Can we have an update please?", Parsed()),  # "an update" counts nothing
    ("", Parsed()),
    ("👍👍", Parsed()),
    ("cheers m8 b4 10pm", Parsed()),  # text speak, not the M8, the B4 or a count of 10
    ("call me on 07700 900123 if you need more", Parsed()),
    ("saw 3m of fence down by the gate", Parsed()),  # 3 metres, not 3 men
    ("PC 1234 attended", Parsed()),
    ("the 3 men from earlier are back", Parsed()),  # counted before: not 3 more
    ("www.example.com", Parsed()),  # three words and dots, but not a what3words address
    ("filled.count.soap", Parsed()),  # bare, it could be a web address: needs "///" or w3w
    # --- vehicles: makes, models, types, colours
    (
        "green landrover defender KX19 ABC 2 lads lamping off the A1065 nr Fakenham",
        Parsed(
            registrations=("KX19 ABC",), colours=("green",), makes=("Land Rover",),
            vehicle_types=("4x4",), places=("Fakenham",), roads=("A1065",), people=2,
        ),
    ),
    (
        "white hilux AB12 CDE at the gate",
        Parsed(
            registrations=("AB12 CDE",), colours=("white",), makes=("Toyota",),
            vehicle_types=("pickup",),
        ),
    ),
    (
        "SILVER L200 SEEN AT 2230 ON B1153 NEAR STANHOE 3 MEN",
        Parsed(
            colours=("silver",), makes=("Mitsubishi",), vehicle_types=("pickup",),
            places=("Stanhoe",), roads=("B1153",), people=3,
        ),
    ),
    (
        "Audi A4 TDI seen parked at Thornham",  # a model, not the A4 road
        Parsed(makes=("Audi",), vehicle_types=("car",), places=("Thornham",)),
    ),
    (
        "lurchers in the back of a silver Isuzu d-max",
        Parsed(
            colours=("silver",), makes=("Isuzu",), vehicle_types=("pickup",), vehicles=1,
            dogs_seen=True,
        ),
    ),
    (
        "Is that the same red pickup from last week?",
        Parsed(colours=("red",), vehicle_types=("pickup",)),
    ),
    (
        "postcode NR21 9SH, white vw transporter",
        Parsed(
            colours=("white",), makes=("Volkswagen",), vehicle_types=("van",),
            postcodes=("NR21 9SH",),
        ),
    ),
    (
        "Ford Ranger, Toyota Hilux and a Mitsubishi L200 all in the lay-by",
        Parsed(makes=("Ford", "Toyota", "Mitsubishi"), vehicle_types=("pickup",), vehicles=1),
    ),
    (
        "the forester says a Ranger was by the gate",  # a gamekeeper, then a Ford
        Parsed(makes=("Ford",), vehicle_types=("pickup",), vehicles=1),
    ),
    (
        "men in black jackets by Green Lane, no vehicle seen",  # clothes and a lane
        Parsed(vehicles=0),
    ),
    (
        "white lads in a black audi",
        Parsed(colours=("black",), makes=("Audi",), vehicles=1),
    ),
    (
        "a couple in a red mini",
        Parsed(colours=("red",), makes=("Mini",), vehicles=1),
    ),
    (
        "dark grey pick-up no plates, 2 lads on a quad bike behind it",
        Parsed(
            colours=("dark grey",), vehicle_types=("pickup", "quad bike"), people=2, vehicles=1
        ),
    ),
    (
        "sliver transit, 4 by 4 and a four by four, gray van",  # typos and spellings
        Parsed(
            colours=("silver", "grey"), makes=("Ford",), vehicle_types=("van", "4x4"), vehicles=1
        ),
    ),
    (
        "Scooby with 3 lads in, heading Docking",
        Parsed(makes=("Subaru",), places=("Docking",), people=3, direction="towards Docking"),
    ),
    (
        "Camper van parked up at Holme next the sea",
        Parsed(vehicle_types=("van",), places=("Holme-next-the-Sea",)),
    ),
    # --- plates, whole and partial
    (
        "KX19ABC and AB12CDE both at the layby near Heacham",
        Parsed(registrations=("KX19 ABC", "AB12 CDE"), places=("Heacham",)),
    ),
    (
        "KX19 ABC again, same KX19ABC as yesterday",  # one vehicle, named twice
        Parsed(registrations=("KX19 ABC",)),
    ),
    (
        "partial plate WU62 X?? blue transit custom towards Sedgeford",
        Parsed(
            partial_registrations=("WU62 X??",), colours=("blue",), makes=("Ford",),
            vehicle_types=("van",), places=("Sedgeford",), direction="towards Sedgeford",
        ),
    ),
    (
        "partial reg YR68 ... blue pickup towards the coast",
        Parsed(
            partial_registrations=("YR68",), colours=("blue",), vehicle_types=("pickup",),
            direction="towards the coast",
        ),
    ),
    (
        "2 men,   3dogs , silver   nissan navara  kx19   abc",  # careless spacing
        Parsed(
            registrations=("KX19 ABC",), colours=("silver",), makes=("Nissan",),
            vehicle_types=("pickup",), people=2, dogs=3, dogs_seen=True,
        ),
    ),
    (
        "old red Defender A123 BCD by the gate",  # a prefix plate, not the A123
        Parsed(
            registrations=("A123 BCD",), colours=("red",), makes=("Land Rover",),
            vehicle_types=("4x4",),
        ),
    ),
    (
        "ＫＸ１９ＡＢＣ white van",  # full-width characters from a phone keyboard
        Parsed(registrations=("KX19 ABC",), colours=("white",), vehicle_types=("van",)),
    ),
    # --- counts
    (
        "couple of lads with 2 big black lurchers in a white ford ranger heading towards"
        " Gt Massingham",
        Parsed(
            colours=("white",), makes=("Ford",), vehicle_types=("pickup",),
            places=("Great Massingham",), people=2, dogs=2, vehicles=1,
            direction="towards Great Massingham", dogs_seen=True,
        ),
    ),
    (
        "a man and a woman with a lurcher on the footpath at Ringstead",
        Parsed(places=("Ringstead",), people=2, dogs=1, dogs_seen=True),
    ),
    (
        "2 x lurchers, 1 terrier, 3 men in camo",
        Parsed(people=3, dogs=3, dogs_seen=True),
    ),
    ("dogs x2 men x3", Parsed(people=3, dogs=2, dogs_seen=True)),
    (
        "lurchers x5 in a BMW",  # a count, not the BMW X5
        Parsed(makes=("BMW",), dogs=5, vehicles=1, dogs_seen=True),
    ),
    ("at 10 2 men got out", Parsed(people=2)),  # "at 10" is a time
    ("got there at 11 lads had gone", Parsed()),  # no full stop, still a time
    ("seen 19/05 around 2 am, 2 vehicles", Parsed(vehicles=2)),
    (
        "2 men 3 dogs on the A149 at 22:30",  # parked up: a road, no direction
        Parsed(roads=("A149",), people=2, dogs=3, dogs_seen=True),
    ),
    (
        "No dogs seen, 2 men in a silver Vauxhall Astra",
        Parsed(
            colours=("silver",), makes=("Vauxhall",), vehicle_types=("car",), people=2, dogs=0,
            vehicles=1,
        ),
    ),
    (
        "approx 6 men, several dogs, 2 or 3 motors",  # "2 or 3": the higher
        Parsed(vehicle_types=("car",), people=6, vehicles=3, dogs_seen=True),
    ),
    (
        "Hare coursers! 5 lurchers, 2 4x4s, fields off Choseley road",
        Parsed(vehicle_types=("4x4",), places=("Choseley",), dogs=5, vehicles=2, dogs_seen=True),
    ),
    (
        "the keeper says 2 hare coursers out by Burnham Mkt",
        Parsed(places=("Burnham Market",), people=2),
    ),
    (
        "Three lads, one with a lamp, two dogs. Fring Road, Sedgeford",  # "Fring Road" too
        Parsed(places=("Fring", "Sedgeford"), people=3, dogs=2, dogs_seen=True),
    ),
    (
        "KINGS LYNN A47 2 MALES 1 DOG BLACK BMW",
        Parsed(
            colours=("black",), makes=("BMW",), places=("King's Lynn",), roads=("A47",),
            people=2, dogs=1, dogs_seen=True,
        ),
    ),
    (
        "north of the wood by the pheasant pens, 2 lads with lamps",  # where, not which way
        Parsed(people=2),
    ),
    # --- where: postcodes, grid references, what3words, places
    (
        "pe316rj white transit",
        Parsed(
            colours=("white",), makes=("Ford",), vehicle_types=("van",), postcodes=("PE31 6RJ",)
        ),
    ),
    (
        "2 vans, 4 men, 6 dogs at TF7831 3851",
        Parsed(
            vehicle_types=("van",), grid_refs=("TF 7831 3851",), people=4, dogs=6, vehicles=2,
            dogs_seen=True,
        ),
    ),
    (
        "grid ref so 22 30, black and white collie, red Ford Focus",
        Parsed(
            colours=("red",), makes=("Ford",), vehicle_types=("car",), grid_refs=("SO 22 30",),
            dogs_seen=True,
        ),
    ),
    (
        "what3words: index.home.raft lads lamping",
        Parsed(what3words=("index.home.raft",)),
    ),
    ("https://w3w.co/filled.count.soap", Parsed(what3words=("filled.count.soap",))),
    ("Nothing seen at Brancaster Staithe tonight", Parsed(places=("Brancaster Staithe",))),
    ("Heard shots 🔫 near Sculthorpe airfield 😡", Parsed(places=("Sculthorpe",))),
    (
        "3 lads walking dogs near Snetisham at 22:30",  # one letter short of Snettisham
        Parsed(places=("Snettisham",), people=3, dogs_seen=True),
    ),
    (
        "B1153 by Docking, 4x4 parked up, lights off",
        Parsed(vehicle_types=("4x4",), places=("Docking",), roads=("B1153",)),
    ),
    ("the A1 and A17", Parsed(roads=("A1", "A17"))),
    # --- which way
    (
        "heading n/b on the a149 towards kings lynn",
        Parsed(
            places=("King's Lynn",), roads=("A149",),
            direction="north on the A149 towards King's Lynn",
        ),
    ),
    (
        "A149 southbound 2 men in a navy blue L200 reg starts YR68",
        Parsed(
            partial_registrations=("YR68",), colours=("dark blue",), makes=("Mitsubishi",),
            vehicle_types=("pickup",), roads=("A149",), people=2, vehicles=1,
            direction="south on the A149",
        ),
    ),
    (
        "left Docking going to Fring",  # from Docking, towards Fring
        Parsed(places=("Docking", "Fring"), direction="towards Fring"),
    ),
    ("going Fring way", Parsed(places=("Fring",), direction="towards Fring")),
    (
        "Red Mitsubishi Shogun, 4 blokes, greyhounds x3, sped off east along the A148",
        Parsed(
            colours=("red",), makes=("Mitsubishi",), vehicle_types=("4x4",), roads=("A148",),
            people=4, dogs=3, direction="east on the A148", dogs_seen=True,
        ),
    ),
    (
        "BMW X5 and a Merc sprinter van heading S on the A1065",
        Parsed(
            makes=("BMW", "Mercedes"), vehicle_types=("4x4", "van"), roads=("A1065",),
            vehicles=1, direction="south on the A1065",
        ),
    ),
    (
        "white van man 🚐🚐 2 dogs 🐕 heading west",
        Parsed(
            colours=("white",), vehicle_types=("van",), dogs=2, direction="west", dogs_seen=True
        ),
    ),
    (
        "white  Transit   heading   south",
        Parsed(colours=("white",), makes=("Ford",), vehicle_types=("van",), direction="south"),
    ),
    (
        "3 men on quads heading west towards Syderstone",
        Parsed(
            vehicle_types=("quad bike",), places=("Syderstone",), people=3,
            direction="west towards Syderstone",
        ),
    ),
    (
        "Land Rover Discovery heading NE",
        Parsed(makes=("Land Rover",), vehicle_types=("4x4",), direction="north-east"),
    ),
    (
        "grey Subaru Forester and 2 lurchers, went north-east, then towards Anmer",
        Parsed(
            colours=("grey",), makes=("Subaru",), vehicle_types=("4x4",), places=("Anmer",),
            dogs=2, direction="north-east towards Anmer", dogs_seen=True,
        ),
    ),
    (
        "4 men in a dark blue Range Rover Sport, reg KX19 ABC, heading towards Hunstanton"
        " on the A149",
        Parsed(
            registrations=("KX19 ABC",), colours=("dark blue",), makes=("Land Rover",),
            vehicle_types=("4x4",), places=("Hunstanton",), roads=("A149",), people=4,
            vehicles=1, direction="on the A149 towards Hunstanton",
        ),
    ),
    (
        "Stanhoe to Docking road, gold Mitsubishi Outlander heading west",
        Parsed(
            colours=("gold",), makes=("Mitsubishi",), vehicle_types=("4x4",),
            places=("Stanhoe", "Docking"), direction="west",
        ),
    ),
    (
        "two lads n/b on the A149, white transit",
        Parsed(
            colours=("white",), makes=("Ford",), vehicle_types=("van",), roads=("A149",),
            people=2, direction="north on the A149",
        ),
    ),
    (
        "parked on the B1153 near Docking, silver hilux",  # parked: no direction
        Parsed(
            colours=("silver",), makes=("Toyota",), vehicle_types=("pickup",),
            places=("Docking",), roads=("B1153",),
        ),
    ),
    (
        "heading in a northerly direction on the a1065",
        Parsed(roads=("A1065",), direction="north on the A1065"),
    ),
    (
        "2 lads and a dog heading towards the old airfield",
        Parsed(people=2, dogs=1, direction="towards the old airfield", dogs_seen=True),
    ),
    (
        "M11 JCT 9 southbound, KX19 ABC",
        Parsed(registrations=("KX19 ABC",), roads=("M11",), direction="south"),
    ),
    ("A1(M) northbound", Parsed(roads=("A1(M)",), direction="north on the A1(M)")),
    ("heading to the A148", Parsed(roads=("A148",), direction="towards the A148")),
]  # fmt: skip
