"""The police forces of England and Wales, with the names reports use for them."""
from __future__ import annotations

import re

# canonical name -> aliases (full titles first). Place-name aliases are matched as whole words.
FORCES: dict[str, list[str]] = {
    "Avon and Somerset": ["Avon and Somerset Constabulary", "Avon and Somerset Police", "Avon & Somerset"],
    "Bedfordshire": ["Bedfordshire Police", "Beds Police"],
    "Cambridgeshire": ["Cambridgeshire Constabulary", "Cambs Police", "Cambs"],
    "Cheshire": ["Cheshire Constabulary", "Cheshire Police"],
    "City of London": ["City of London Police"],
    "Cleveland": ["Cleveland Police"],
    "Cumbria": ["Cumbria Constabulary"],
    "Derbyshire": ["Derbyshire Constabulary"],
    "Devon and Cornwall": ["Devon and Cornwall Police", "Devon & Cornwall Police", "Devon & Cornwall"],
    "Dorset": ["Dorset Police"],
    "Durham": ["Durham Constabulary"],
    "Dyfed-Powys": ["Dyfed-Powys Police", "Dyfed Powys", "Heddlu Dyfed-Powys"],
    "Essex": ["Essex Police"],
    "Gloucestershire": ["Gloucestershire Constabulary", "Glos Police"],
    "Greater Manchester": ["Greater Manchester Police", "GMP"],
    "Gwent": ["Gwent Police", "Heddlu Gwent"],
    "Hampshire": ["Hampshire Constabulary", "Hampshire and Isle of Wight Constabulary", "Hants Police", "Hants"],
    "Hertfordshire": ["Hertfordshire Constabulary", "Herts Police", "Herts"],
    "Humberside": ["Humberside Police"],
    "Kent": ["Kent Police"],
    "Lancashire": ["Lancashire Constabulary", "Lancs Police"],
    "Leicestershire": ["Leicestershire Police", "Leics Police"],
    "Lincolnshire": ["Lincolnshire Police", "Lincs Police"],
    "Merseyside": ["Merseyside Police"],
    "Metropolitan": ["Metropolitan Police Service", "Metropolitan Police", "the Met", "Met Police", "MPS"],
    "Norfolk": ["Norfolk Constabulary"],
    "North Wales": ["North Wales Police", "Heddlu Gogledd Cymru"],
    "North Yorkshire": ["North Yorkshire Police"],
    "Northamptonshire": ["Northamptonshire Police", "Northants Police"],
    "Northumbria": ["Northumbria Police"],
    "Nottinghamshire": ["Nottinghamshire Police", "Notts Police"],
    "South Wales": ["South Wales Police", "Heddlu De Cymru"],
    "South Yorkshire": ["South Yorkshire Police"],
    "Staffordshire": ["Staffordshire Police", "Staffs Police"],
    "Suffolk": ["Suffolk Constabulary"],
    "Surrey": ["Surrey Police"],
    "Sussex": ["Sussex Police"],
    "Thames Valley": ["Thames Valley Police", "TVP"],
    "Warwickshire": ["Warwickshire Police"],
    "West Mercia": ["West Mercia Police"],
    "West Midlands": ["West Midlands Police", "WMP"],
    "West Yorkshire": ["West Yorkshire Police"],
    "Wiltshire": ["Wiltshire Police"],
    # national and non-territorial forces
    "British Transport Police": ["British Transport Police", "BTP"],
    "Civil Nuclear Constabulary": ["Civil Nuclear Constabulary", "CNC"],
    "Ministry of Defence Police": ["Ministry of Defence Police", "MDP", "MoD Police"],
    "National Crime Agency": ["National Crime Agency", "NCA"],
    "Police Service of Northern Ireland": ["Police Service of Northern Ireland", "PSNI"],
}

# A place name followed by one of these is a council or fire service, not the police.
_NOT_POLICE = r"(?!\s+(?:County Council|Council|Fire|and Rescue|Fire and Rescue|Police and Crime Commissioner))"


def _pattern(canonical: str, aliases: list[str]) -> re.Pattern:
    names = sorted(set(aliases + [canonical]), key=len, reverse=True)
    alt = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w-])(?:{alt})(?![\w-]){_NOT_POLICE}")


_PATTERNS = {c: _pattern(c, a) for c, a in FORCES.items()}


class UnknownForce(ValueError):
    pass


def resolve(name: str) -> str:
    """Canonical force for a user's spelling ("cambs", "Hampshire Constabulary")."""
    key = " ".join(name.lower().replace("&", "and").split())
    for canonical, aliases in FORCES.items():
        if key in {canonical.lower(), *(a.lower().replace("&", "and") for a in aliases)}:
            return canonical
    for canonical in FORCES:  # "cambridgeshire police", "kent constabulary"
        if key.startswith(canonical.lower() + " "):
            return canonical
    raise UnknownForce(
        f"unknown force '{name}'. Use a force of England and Wales, e.g. "
        + ", ".join(list(FORCES)[:6]) + " … (see `hmiqa docs` for the forces in the index)")


def mentions(text: str) -> dict[str, int]:
    """How often each force is named; full titles ("X Constabulary") count double."""
    counts: dict[str, int] = {}
    for canonical, pat in _PATTERNS.items():
        n = 0
        for m in pat.finditer(text):
            n += 2 if m.group(0) != canonical and len(m.group(0)) > len(canonical) else 1
        if n:
            counts[canonical] = n
    return counts
