"""The demo city: Paris, two merchants, two depots, a mixed fleet and a week of deliveries.

Everything here is deterministic (fixed random seeds, fixed keys, natural keys for
every row), so seeding twice on the same day changes nothing.
"""

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class District:
    postcode: str
    lat: float
    lng: float
    streets: tuple[str, ...]


# Arrondissement centres with a few of their real streets.
DISTRICTS = (
    District("75001", 48.8625, 2.3364, ("Rue de Rivoli", "Rue Saint-Honoré", "Rue du Louvre")),
    District("75002", 48.8683, 2.3428, ("Rue Montorgueil", "Rue du Sentier", "Rue Réaumur")),
    District("75003", 48.8630, 2.3601, ("Rue de Bretagne", "Rue Vieille-du-Temple", "Rue de Turenne")),
    District("75004", 48.8543, 2.3576, ("Rue des Francs-Bourgeois", "Rue Saint-Antoine", "Rue de la Verrerie")),
    District("75005", 48.8445, 2.3497, ("Rue Mouffetard", "Rue Monge", "Rue Gay-Lussac")),
    District("75006", 48.8491, 2.3331, ("Rue de Vaugirard", "Rue de Rennes", "Rue du Bac")),
    District("75007", 48.8561, 2.3122, ("Rue Cler", "Rue de Grenelle", "Avenue Bosquet")),
    District("75008", 48.8727, 2.3125, ("Rue du Faubourg Saint-Honoré", "Boulevard Haussmann", "Rue de Miromesnil")),
    District("75009", 48.8771, 2.3375, ("Rue des Martyrs", "Rue de Provence", "Rue Lafayette")),
    District("75010", 48.8760, 2.3607, ("Rue du Faubourg Saint-Denis", "Rue de Paradis", "Quai de Valmy")),
    District("75011", 48.8591, 2.3796, ("Rue Oberkampf", "Rue de la Roquette", "Boulevard Voltaire")),
    District("75012", 48.8400, 2.3877, ("Rue de Charenton", "Avenue Daumesnil", "Rue de Reuilly")),
    District("75013", 48.8282, 2.3622, ("Avenue d'Italie", "Rue de Tolbiac", "Boulevard Vincent-Auriol")),
    District("75014", 48.8330, 2.3264, ("Rue Daguerre", "Avenue du Maine", "Rue d'Alésia")),
    District("75015", 48.8421, 2.2987, ("Rue du Commerce", "Rue de la Convention", "Rue Lecourbe")),
    District("75016", 48.8603, 2.2620, ("Rue de Passy", "Avenue Mozart", "Rue de la Pompe")),
    District("75017", 48.8835, 2.3067, ("Rue de Lévis", "Avenue de Villiers", "Rue des Dames")),
    District("75018", 48.8925, 2.3484, ("Rue Ordener", "Rue Lepic", "Rue Marcadet")),
    District("75019", 48.8871, 2.3848, ("Avenue Jean-Jaurès", "Rue de Crimée", "Rue de Belleville")),
    District("75020", 48.8634, 2.4011, ("Rue des Pyrénées", "Rue de Ménilmontant", "Avenue Gambetta")),
)

# Paris inside the Périphérique, cut in four at the Seine-ish latitude and the Louvre-ish longitude.
_LAT_SPLIT, _LNG_SPLIT = 48.8585, 2.3400
_S, _N, _W, _E = 48.812, 48.905, 2.220, 2.475
ZONES = (
    # code, name, depot code, polygon
    ("paris-nord-ouest", "Paris nord-ouest", "saint-denis", [[_LAT_SPLIT, _W], [_LAT_SPLIT, _LNG_SPLIT], [_N, _LNG_SPLIT], [_N, _W]]),
    ("paris-nord-est", "Paris nord-est", "saint-denis", [[_LAT_SPLIT, _LNG_SPLIT], [_LAT_SPLIT, _E], [_N, _E], [_N, _LNG_SPLIT]]),
    ("paris-sud-ouest", "Paris sud-ouest", "ivry", [[_S, _W], [_S, _LNG_SPLIT], [_LAT_SPLIT, _LNG_SPLIT], [_LAT_SPLIT, _W]]),
    ("paris-sud-est", "Paris sud-est", "ivry", [[_S, _LNG_SPLIT], [_S, _E], [_LAT_SPLIT, _E], [_LAT_SPLIT, _LNG_SPLIT]]),
)

DEPOTS = (
    ("saint-denis", "Saint-Denis Nord", "1 Rue du Landy, 93200 Saint-Denis", 48.9205, 2.3580),
    ("ivry", "Ivry Port", "20 Quai Marcel Boyer, 94200 Ivry-sur-Seine", 48.8170, 2.3920),
)

# code suffix, name, parcels, kg, skills, electric range km
VEHICLE_TYPES = (
    ("van", "Cargo van", 120, 900, [], None),
    ("ev", "Electric van", 70, 500, [], 110),
    ("cold", "Refrigerated van", 80, 700, ["refrigerated"], None),
    ("crew", "Two-person truck", 30, 1500, ["two_person"], None),
)
# Per depot: how many of each type, and which shift pattern each works.
FLEET_PER_DEPOT = (("van", 3), ("ev", 2), ("cold", 2), ("crew", 2))

DRIVER_FIRST_NAMES = (
    "Amélie", "Bruno", "Chloé", "Damien", "Élodie", "Farid", "Gaëlle", "Hugo",
    "Inès", "Julien", "Karima", "Louis", "Manon", "Nicolas", "Océane", "Pierre",
)
DRIVER_LAST_NAMES = ("Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
                     "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand")

RECIPIENT_NAMES = (
    "Camille Martin", "Léa Bernard", "Hugo Dubois", "Chloé Thomas", "Lucas Robert", "Emma Richard",
    "Nathan Petit", "Manon Durand", "Louis Leroy", "Jade Moreau", "Gabriel Simon", "Louise Laurent",
    "Arthur Lefebvre", "Alice Michel", "Jules Garcia", "Inès David", "Raphaël Bertrand", "Sarah Roux",
)


@dataclass(frozen=True)
class MerchantSpec:
    slug: str
    name: str
    primary: str
    accent: str
    languages: tuple[str, ...]
    sms_sender: str
    email_from: str
    origin: str
    support_phone: str
    support_email: str
    support_hours: tuple[tuple[int, ...], dt.time, dt.time]  # ISO weekdays, opens, closes
    deliveries_per_day: int
    skill_share: tuple[tuple[str, float], ...]
    parcels: tuple[int, int]
    weight: tuple[int, int]
    # label, start, end, ISO weekdays, price, cutoff days before, cutoff time, max stops
    templates: tuple[tuple[str, dt.time, dt.time, tuple[int, ...], str, int, dt.time, int], ...]


_T = dt.time
WEEKDAYS, SATURDAY, SUNDAY = (1, 2, 3, 4, 5), (6,), (7,)
MERCHANTS = (
    MerchantSpec(
        slug="fresh-basket", name="Fresh Basket", primary="#2e7d32", accent="#f9a825", languages=("fr", "en"),
        sms_sender="FreshBasket", email_from="livraison@freshbasket.example", origin="https://shop.freshbasket.example",
        support_phone="+33180000000", support_email="aide@freshbasket.example", support_hours=((1, 2, 3, 4, 5, 6), dt.time(8), dt.time(20)),
        deliveries_per_day=125, skill_share=(("refrigerated", 0.25),), parcels=(1, 4), weight=(3, 18),
        templates=(
            ("premium", _T(7, 0), _T(8, 0), WEEKDAYS + SATURDAY, "7.90", 1, _T(20, 0), 4),
            ("standard", _T(8, 0), _T(10, 0), WEEKDAYS + SATURDAY, "3.90", 1, _T(22, 0), 10),
            ("standard", _T(10, 0), _T(12, 0), WEEKDAYS + SATURDAY, "3.90", 0, _T(7, 0), 10),
            ("standard", _T(12, 0), _T(14, 0), WEEKDAYS + SATURDAY, "2.90", 0, _T(9, 0), 10),
            ("standard", _T(14, 0), _T(16, 0), WEEKDAYS + SATURDAY, "2.90", 0, _T(11, 0), 10),
            ("standard", _T(16, 0), _T(18, 0), WEEKDAYS + SATURDAY, "3.90", 0, _T(13, 0), 10),
            ("evening", _T(18, 0), _T(20, 0), WEEKDAYS, "5.90", 0, _T(14, 0), 10),
            ("evening", _T(20, 0), _T(22, 0), WEEKDAYS, "5.90", 0, _T(16, 0), 8),
            ("weekend", _T(10, 0), _T(12, 0), SUNDAY, "6.90", 1, _T(20, 0), 8),
            ("weekend", _T(14, 0), _T(16, 0), SUNDAY, "6.90", 1, _T(20, 0), 8),
        ),
    ),
    MerchantSpec(
        slug="maison-meuble", name="Maison & Meuble", primary="#1f2a44", accent="#c8a96a", languages=("en", "fr"),
        sms_sender="MaisonMbl", email_from="deliveries@maisonmeuble.example", origin="https://www.maisonmeuble.example",
        support_phone="+33180000123", support_email="care@maisonmeuble.example", support_hours=((1, 2, 3, 4, 5, 6), dt.time(9), dt.time(18)),
        deliveries_per_day=50, skill_share=(("two_person", 0.35),), parcels=(1, 3), weight=(10, 90),
        templates=(
            ("standard", _T(9, 0), _T(11, 0), WEEKDAYS + SATURDAY, "9.00", 1, _T(18, 0), 5),
            ("standard", _T(11, 0), _T(13, 0), WEEKDAYS + SATURDAY, "9.00", 1, _T(18, 0), 5),
            ("standard", _T(14, 0), _T(16, 0), WEEKDAYS + SATURDAY, "9.00", 1, _T(18, 0), 5),
            ("standard", _T(16, 0), _T(18, 0), WEEKDAYS + SATURDAY, "9.00", 1, _T(18, 0), 5),
            ("evening", _T(18, 0), _T(20, 0), WEEKDAYS, "19.00", 1, _T(18, 0), 4),
            ("premium", _T(8, 0), _T(9, 0), WEEKDAYS, "29.00", 2, _T(18, 0), 2),
            ("weekend", _T(10, 0), _T(13, 0), SUNDAY, "24.00", 2, _T(18, 0), 3),
        ),
    ),
)

# Shift patterns (local times): early covers mornings, late covers evenings.
SHIFT_PATTERNS = (
    ("early", _T(6, 45), _T(16, 15), _T(11, 0), _T(13, 30)),
    ("late", _T(12, 0), _T(22, 30), _T(16, 0), _T(18, 30)),
)


def district_for(rng: random.Random) -> District:
    return rng.choice(DISTRICTS)


def address_in(rng: random.Random, district: District) -> dict:
    # Jitter inside the arrondissement (about ±400 m), rounded to the 5th decimal (~1 m).
    return {
        "line1": f"{rng.randint(1, 120)} {rng.choice(district.streets)}",
        "city": "Paris",
        "postcode": district.postcode,
        "lat": round(district.lat + rng.uniform(-0.0036, 0.0036), 5),
        "lng": round(district.lng + rng.uniform(-0.0055, 0.0055), 5),
    }


def local_dt(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=PARIS)


# Two third-party carriers with their own codes, mapped onto our canonical milestones.
CARRIERS = (
    ("swiftpost", "SwiftPost", "swiftpost", (
        ("CRT", "created", ""), ("SCH", "scheduled", ""), ("DEP", "scanned_out", ""), ("OFD", "out_for_delivery", ""),
        ("NEAR", "arriving", ""), ("ARR", "arrived", ""), ("NH", "attempted", "nobody_home"),
        ("AR", "attempted", "access_refused"), ("DLV", "delivered", ""), ("RTS", "returned", ""),
        ("DMG", "exception", "damaged"),
    )),
    ("parcelnet", "ParcelNet", "parcelnet", (
        ("10", "created", ""), ("20", "scanned_out", ""), ("30", "out_for_delivery", ""), ("35", "arrived", ""),
        ("40", "attempted", ""), ("40-NH", "attempted", "nobody_home"), ("40-ANF", "attempted", "address_not_found"),
        ("50", "delivered", ""), ("60", "returned", ""), ("90", "exception", ""),
    )),
)


def carrier_secret(code: str) -> str:
    return f"cs_demo_{code}_0123456789abcdef"


def driver_key(vehicle_code: str) -> str:
    """The demo device key of the driver who drives this vehicle."""
    return f"dk_demo_{vehicle_code.replace('-', '_')}"
