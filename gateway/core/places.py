"""Where the default gazetteer's places are: an OS grid reference (6 figures, the village
centre, as its Wikipedia article or the OS map gives it) for every name in
gateway/sightings/vocab.py DEFAULT_GAZETTEER, and a central point for each postcode
district of West Norfolk. tests/test_geo.py checks every name has one, inside West Norfolk.

Plain data, no conversion here: gateway/core/geo.py converts when a position is needed.
"""

from __future__ import annotations

PLACES: dict[str, str] = {
    "Docking": "TF 765 370",
    "Bircham": "TF 768 325",
    "Great Bircham": "TF 768 325",
    "Bircham Newton": "TF 768 338",
    "Bircham Tofts": "TF 779 326",
    "Fring": "TF 735 348",
    "Sedgeford": "TF 707 365",
    "Stanhoe": "TF 803 368",
    "Syderstone": "TF 832 326",
    "Burnham Market": "TF 832 420",
    "Burnham Overy Staithe": "TF 844 442",
    "Burnham Thorpe": "TF 851 416",
    "Burnham Deepdale": "TF 803 441",
    "Burnham Norton": "TF 829 438",
    "Great Massingham": "TF 798 229",
    "Little Massingham": "TF 792 242",
    "Heacham": "TF 681 376",
    "Snettisham": "TF 690 343",
    "Hunstanton": "TF 673 408",
    "Old Hunstanton": "TF 684 420",
    "Thornham": "TF 733 434",
    "Titchwell": "TF 763 438",
    "Brancaster": "TF 772 438",
    "Brancaster Staithe": "TF 793 442",
    "Ringstead": "TF 707 403",
    "Sculthorpe": "TF 897 310",
    "Fakenham": "TF 919 298",
    "King's Lynn": "TF 620 200",
    "Dersingham": "TF 685 305",
    "Sandringham": "TF 695 287",
    "Ingoldisthorpe": "TF 684 325",
    "Shernborne": "TF 714 324",
    "Anmer": "TF 739 296",
    "Flitcham": "TF 728 266",
    "Hillington": "TF 721 254",
    "Harpley": "TF 787 260",
    "Houghton": "TF 792 283",
    "East Rudham": "TF 828 282",
    "West Rudham": "TF 815 278",
    "Tattersett": "TF 847 292",
    "South Creake": "TF 856 361",
    "North Creake": "TF 853 378",
    "Barwick": "TF 800 350",
    "Choseley": "TF 753 406",
    "Holme-next-the-Sea": "TF 700 437",
    "Wolferton": "TF 657 284",
    "Castle Rising": "TF 666 245",
    "Grimston": "TF 721 220",
    "Congham": "TF 712 238",
    "Gayton": "TF 729 193",
    "West Acre": "TF 779 152",
    "Castle Acre": "TF 815 150",
    "Narborough": "TF 747 130",
    "Swaffham": "TF 817 089",
    "Downham Market": "TF 611 033",
    "Terrington St Clement": "TF 551 201",
    "Wells-next-the-Sea": "TF 916 434",
    "Holkham": "TF 891 439",
    "Walsingham": "TF 935 367",
    "Weasenham": "TF 853 219",
    "East Raynham": "TF 880 255",
    "West Raynham": "TF 873 255",
    "Helhoughton": "TF 868 265",
    "Tatterford": "TF 864 286",
}

# Postcode districts of West Norfolk (and the North Norfolk ones its sightings reach),
# each at a point central to where its people live, not the middle of its area.
DISTRICTS: dict[str, str] = {
    "PE30": "TF 630 210",  # King's Lynn
    "PE31": "TF 770 350",  # the rural north-west: Docking, the Burnhams, the Birchams
    "PE32": "TF 760 190",  # east of Lynn: Gayton, Massingham, Castle Acre
    "PE33": "TF 680 060",  # south of Lynn: Watlington, Stradsett, Marham
    "PE34": "TF 560 170",  # the Marshland: Terrington, the Tilneys, the Walpoles
    "PE35": "TF 690 285",  # Sandringham
    "PE36": "TF 680 405",  # Hunstanton
    "PE37": "TF 818 090",  # Swaffham
    "PE38": "TF 612 034",  # Downham Market
    "NR21": "TF 918 298",  # Fakenham
    "NR22": "TF 934 368",  # Walsingham
    "NR23": "TF 915 432",  # Wells-next-the-Sea
}
