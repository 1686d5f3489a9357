"""Busy digest weeks in the shape of ``Monitor.digest_data`` (with the understanding stage's
``previously`` and ``whats_new_items``), for the rendering and browser tests and the screenshots.

The stories mirror the Russia–North Korea reporting of late 2024 (troops in Kursk, the treaty's
ratification, the Rason bridge), written out as an outlet would headline them, in English and in French,
with long headlines, long URLs, copies and the odd article with no link.
"""

from __future__ import annotations

from typing import Any

SINCE, UNTIL = "2026-11-09T00:00:00", "2026-11-16T00:00:00"

_EN = [
    ("North Korean special forces reach the Kursk front line, Ukrainian intelligence says",
     ["Kyiv Independent", "Reuters", "BBC", "The Guardian"]),
    ("Putin signs the law ratifying the comprehensive strategic partnership treaty with Pyongyang",
     ["TASS", "AP", "Le Monde"]),
    ("Satellite images show a second road bridge rising over the Tumen River near Khasan",
     ["NK News", "38 North"]),
    ("Seoul summons the Russian ambassador over the transfer of air-defence systems to the North",
     ["Yonhap", "Korea Herald", "Reuters"]),
    ("Russian tourists return to the Wonsan-Kalma beach resort as charter flights resume",
     ["NK News"]),
    ("Lavrov and Choe Son Hui agree on a new round of strategic talks in Moscow next spring",
     ["TASS", "KCNA Watch", "AFP"]),
    ("Ukraine says it captured two wounded North Korean soldiers in the Kursk region",
     ["Kyiv Post", "BBC", "CNN", "Le Figaro", "Reuters"]),
    ("Rason port handles record grain shipments from Vladivostok in October",
     ["Daily NK"]),
]
_EN_DEV = [
    ("North Korean artillery shells found in Russian depots near Belgorod",
     "Pyongyang has shipped more than a million artillery shells to Russia since the summer of 2023.",
     ["Reuters", "Conflict Armament Research", "AP"]),
    ("Sanctions monitors report new oil deliveries above the UN cap",
     "The UN cap on refined petroleum deliveries to North Korea is 500,000 barrels a year.",
     ["NK Pro", "Financial Times"]),
    ("Kim Jong Un inspects drone production after a Russian delegation's visit",
     "Russian engineers toured the Hwasong drone plant in August, South Korean officials said.",
     ["KCNA Watch", "Yonhap"]),
    ("Moscow and Pyongyang open a direct Aeroflot route",
     "Air Koryo has flown between Pyongyang and Vladivostok twice a week since 2023.",
     ["Interfax", "NK News", "Reuters"]),
]
_FR = [
    ("Des forces spéciales nord-coréennes déployées sur le front de Koursk, selon le renseignement ukrainien",
     ["Le Monde", "France 24", "RFI", "Libération"]),
    ("Vladimir Poutine promulgue la loi de ratification du traité de partenariat stratégique avec Pyongyang",
     ["Le Figaro", "AFP", "Les Échos"]),
    ("Des images satellites montrent un deuxième pont routier en construction sur le fleuve Tumen",
     ["Courrier international", "Le Monde"]),
    ("Séoul convoque l'ambassadeur de Russie après des livraisons de systèmes antiaériens au Nord",
     ["France 24", "Ouest-France", "La Croix"]),
    ("Les touristes russes reviennent à la station balnéaire de Wonsan-Kalma",
     ["Le Parisien"]),
    ("Lavrov et Choe Son Hui conviennent d'un nouveau cycle de pourparlers stratégiques à Moscou",
     ["RFI", "AFP", "TV5 Monde"]),
    ("L'Ukraine affirme avoir capturé deux soldats nord-coréens blessés dans la région de Koursk",
     ["Le Monde", "BFM TV", "Le Figaro", "France Info", "L'Express"]),
    ("Le port de Rason enregistre des livraisons record de céréales venues de Vladivostok",
     ["Les Échos"]),
]
_FR_DEV = [
    ("Des obus nord-coréens retrouvés dans des dépôts russes près de Belgorod",
     "Pyongyang a livré plus d'un million d'obus d'artillerie à la Russie depuis l'été 2023.",
     ["Le Monde", "AFP", "Mediapart"]),
    ("Des livraisons de pétrole au-delà du plafond de l'ONU, selon des experts",
     "Le plafond fixé par l'ONU est de 500 000 barils de produits raffinés par an.",
     ["Le Figaro", "Les Échos"]),
    ("Kim Jong-un inspecte une usine de drones après la visite d'une délégation russe",
     "Des ingénieurs russes ont visité l'usine de drones de Hwasong en août, selon Séoul.",
     ["France 24", "Courrier international"]),
    ("Moscou et Pyongyang ouvrent une liaison aérienne directe",
     "Air Koryo relie Pyongyang à Vladivostok deux fois par semaine depuis 2023.",
     ["RFI", "Le Parisien", "AFP"]),
]
_KNOWN = {
    "en": [("Explainer: what the 2024 Russia–North Korea treaty says", ["Reuters"]),
           ("Timeline of Kim Jong Un's visits to Russia", ["Yonhap", "NK News"]),
           ("Recap: how North Korean troops ended up in Kursk", ["BBC"])],
    "fr": [("Ce que dit le traité russo-nord-coréen de 2024", ["Le Monde"]),
           ("Chronologie des visites de Kim Jong-un en Russie", ["France 24", "RFI"]),
           ("Comment des soldats nord-coréens se sont retrouvés à Koursk", ["Libération"])],
}
_KEY = {
    "en": ["Officials on both sides of the front line confirmed the report on Tuesday.",
           "“We have never seen a deployment like this,” one official said, adding that the units had "
           "arrived by train."],
    "fr": ["Des responsables des deux côtés de la ligne de front ont confirmé l'information mardi.",
           "« Nous n'avons jamais vu un tel déploiement », a déclaré un responsable, selon qui les unités "
           "sont arrivées par train."],
}
_TAGS = [("troops", "Troops and personnel", "Troupes et personnel"),
         ("treaty", "Treaty and alliance", "Traité et alliance"),
         ("arms", "Arms and munitions transfers", "Transferts d'armes et de munitions"),
         ("reactions", "Reactions of the US, South Korea, Japan, China and NATO",
          "Réactions des États-Unis, de la Corée du Sud, du Japon, de la Chine et de l'OTAN"),
         ("trade_links", "Trade, energy, food and transport links",
          "Commerce, énergie, alimentation et transports")]


def _slug(title: str) -> str:
    return "-".join("".join(c for c in w.lower() if c.isalnum()) for w in title.split())[:90]


def _articles(n: int, title: str, sources: list[str], lang: str, day: int) -> list[dict[str, Any]]:
    out = []
    for i, source in enumerate(sources):
        host = "".join(c for c in source.lower() if c.isalnum()) or "outlet"
        article_id = f"a-{n}-{i}"
        copy = i == 1 and len(sources) > 2  # the second outlet of a busy story republishes the first
        out.append({
            "id": article_id,
            "url": f"https://www.{host}.example/{2026}/11/{day:02d}/world/asia/{_slug(title)}-{n}{i}",
            "title": title if i == 0 or copy else f"{title} ({source})",
            "source": source, "lang": ("fr" if lang == "en" else "en") if i == 2 else lang,
            "published": f"2026-11-{day + i // 2:02d}T{8 + i:02d}:15:00",
            "duplicate_of": f"a-{n}-0" if copy else None, "relevance": 0.9,
        })
    return out


def _tag_labels(keys: list[str]) -> list[dict[str, str]]:
    labels = {k: (en, fr) for k, en, fr in _TAGS}
    return [{"key": k, "label": labels[k][0], "label_fr": labels[k][1]} for k in keys]


def busy_week(lang: str = "en") -> dict[str, Any]:
    """8 new developments, 4 developing stories and 3 known re-tellings in ``lang``."""
    new, developing = (_EN, _EN_DEV) if lang == "en" else (_FR, _FR_DEV)
    stories: list[dict[str, Any]] = []
    for n, (title, sources) in enumerate(new):
        day = 9 + n % 6
        tags = [_TAGS[n % len(_TAGS)][0], _TAGS[(n + 2) % len(_TAGS)][0]]
        stories.append({
            "id": f"s-new-{n}", "status": "new", "title": title, "tags": tags,
            "tag_labels": _tag_labels(tags),
            "articles": _articles(n, title, sources, lang, day), "baseline": [], "whats_new": [],
            "whats_new_items": [], "previously": None,
            "key_sentences": [title + ".", *_KEY[lang]],
        })
    for n, (title, before, sources) in enumerate(developing, start=20):
        day = 10 + n % 5
        articles = _articles(n, title, sources, lang, day)
        sentences = ([f"{sources[0]} counted 2,300 crates marked with Korean characters in one depot.",
                      f"The shipments arrived through the port of Rason on {day} November."] if lang == "en"
                     else [f"{sources[0]} a compté 2 300 caisses marquées en coréen.",
                           f"Les livraisons sont arrivées par le port de Rason le {day} novembre."])
        tags = [_TAGS[n % len(_TAGS)][0]]
        earlier = ("What we know about " if lang == "en" else "Ce que l'on sait : ") + title.split(" ")[0]
        stories.append({
            "id": f"s-dev-{n}", "status": "developing", "title": title, "tags": tags,
            "tag_labels": _tag_labels(tags), "articles": articles,
            "baseline": [{"id": f"seed-{n}", "url": f"https://archive.example/2025/{n}", "title": earlier,
                          "published": "2025-03-12T09:00:00", "seed": True}],
            "previously": {"id": f"seed-{n}", "url": f"https://archive.example/2025/{n}",
                           "title": earlier, "published": "2025-03-12T09:00:00",
                           "source": "Seed archive", "sentence": before},
            "whats_new": sentences,
            "whats_new_items": [{"sentence": s, "article_id": a["id"], "url": a["url"], "source": a["source"],
                                 "published": a["published"], "lang": a["lang"]}
                                for s, a in zip(sentences, [articles[0], articles[-1]], strict=True)],
            "key_sentences": [],
        })
    for n, (title, sources) in enumerate(_KNOWN[lang], start=40):
        stories.append({"id": f"s-known-{n}", "status": "known", "title": title, "tags": ["treaty"],
                        "tag_labels": _tag_labels(["treaty"]),
                        "articles": _articles(n, title, sources, lang, 14), "baseline": [], "whats_new": [],
                        "key_sentences": []})
    window_total, base_total = 27, 140
    volume = {key: {"window": w, "baseline_weekly_avg": round(b / 8, 2),
                    "window_share": round(w / window_total, 4), "baseline": b,
                    "baseline_share": round(b / base_total, 4), "window_total": window_total,
                    "baseline_total": base_total}
              for (key, _, _), w, b in zip(_TAGS, [12, 9, 7, 5, 3], [30, 52, 41, 18, 25], strict=True)}
    return {
        "window": {"since": SINCE, "until": UNTIL},
        "stories": stories,
        "excluded": [{"id": "x-1", "url": "https://sport.example/1", "title": "Football",
                      "reason": "off-topic"}],
        "first_seen_entities": [{"key": "oleg-ivanov", "name": "Oleg Ivanov", "kind": "person"},
                                {"key": "khasan-bridge", "name": "Khasan road bridge", "kind": "place"},
                                {"key": "analysis-what", "name": "Analysis What", "kind": "unknown"}],
        "tag_volume": volume,
        "counts": {"articles": sum(len(s["articles"]) for s in stories), "stories": len(stories),
                   "excluded": 1, "duplicates": 0},
    }


def originals(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every article of the week that is not a copy of another article of its story."""
    out = []
    for story in data["stories"]:
        ids = {a["id"] for a in story["articles"]}
        out += [a for a in story["articles"] if not a.get("duplicate_of") or a["duplicate_of"] not in ids]
    return out
