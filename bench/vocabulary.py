"""The words synthetic articles are made of: outlets, names, places, a small sentence grammar (FR/EN).

Each list is long enough that two unrelated articles share few five-word shingles.
"""

import re

OUTLETS = {
    "en": [
        "Reuters Wire",
        "The Daily Ledger",
        "Asia Times Review",
        "NK Watch",
        "Global Post",
        "Eurasia Desk",
    ],
    "fr": [
        "Le Quotidien",
        "Agence Presse Monde",
        "L'Observateur Asie",
        "Courrier de l'Est",
        "La Dépêche Globale",
    ],
}
DOMAINS = {
    name: re.sub(r"[^a-z]", "", name.lower()) + ".example" for names in OUTLETS.values() for name in names
}

PEOPLE = {
    "en": [
        "Vladimir Putin",
        "Kim Jong Un",
        "Sergei Shoigu",
        "Sergei Lavrov",
        "Choe Son Hui",
        "Andrei Belousov",
        "Kim Yo Jong",
        "Dmitry Peskov",
        "Alexander Matsegora",
        "No Kwang Chol",
    ],
    "fr": [
        "Vladimir Poutine",
        "Kim Jong Un",
        "Sergueï Choïgou",
        "Sergueï Lavrov",
        "Choe Son Hui",
        "Andreï Belooussov",
        "Kim Yo Jong",
        "Dmitri Peskov",
        "Alexandre Matsegora",
        "No Kwang Chol",
    ],
}
PLACES = {
    "en": [
        "Pyongyang",
        "Moscow",
        "Kursk",
        "Vladivostok",
        "Rason",
        "Wonsan",
        "the Kursk region",
        "Khabarovsk",
    ],
    "fr": [
        "Pyongyang",
        "Moscou",
        "Koursk",
        "Vladivostok",
        "Rason",
        "Wonsan",
        "la région de Koursk",
        "Khabarovsk",
    ],
}
STORY_KINDS = {
    "en": {
        "arms": (
            "shipment of {n} containers of artillery shells",
            "North Korea sent {n} containers of shells",
        ),
        "troops": ("deployment of {n} North Korean soldiers", "{n} North Korean troops were deployed"),
        "diplomacy": ("visit of {p} to {pl}", "{p} held talks in {pl}"),
        "economy": ("trade deal worth {n} million dollars", "a trade agreement worth {n} million dollars"),
    },
    "fr": {
        "arms": ("livraison de {n} conteneurs d'obus", "la Corée du Nord a livré {n} conteneurs d'obus"),
        "troops": ("déploiement de {n} soldats nord-coréens", "{n} soldats nord-coréens ont été déployés"),
        "diplomacy": ("visite de {p} à {pl}", "{p} a mené des entretiens à {pl}"),
        "economy": (
            "accord commercial de {n} millions de dollars",
            "un accord commercial de {n} millions de dollars",
        ),
    },
}
HEADLINES = {
    "en": [
        "{Kind}: what we know",
        "Russia and North Korea: {kind}",
        "{Kind} confirmed, officials say",
        "Analysis: behind the {kind}",
        "{P} and the {kind}",
    ],
    "fr": [
        "{Kind} : ce que l'on sait",
        "Russie et Corée du Nord : {kind}",
        "{Kind}, confirment des responsables",
        "Analyse : derrière la {kind}",
        "{P} et la {kind}",
    ],
}
LEADS = {
    "en": "{Claim} on {date}, according to officials in {pl}, as Russia and North Korea deepen their ties.",
    "fr": "{Claim} le {date}, selon des responsables à {pl}, alors que la Russie et la Corée du Nord "
    "resserrent leurs liens.",
}
# Off-topic beats: (headline subject, nouns for the grammar).
OFF_TOPICS = {
    "en": {
        "football": ["the club", "the coach", "the striker", "the league", "the stadium", "the fans"],
        "markets": [
            "the index",
            "bond yields",
            "the central bank",
            "investors",
            "the currency",
            "oil prices",
        ],
        "weather": ["the storm", "forecasters", "the heatwave", "rainfall", "the coast", "farmers"],
        "technology": ["the start-up", "the chipmaker", "regulators", "the app", "engineers", "the platform"],
        "politics": ["the mayor", "the council", "the opposition", "voters", "the budget", "the committee"],
    },
    "fr": {
        "football": [
            "le club",
            "l'entraîneur",
            "l'attaquant",
            "le championnat",
            "le stade",
            "les supporters",
        ],
        "marchés": [
            "l'indice",
            "les taux obligataires",
            "la banque centrale",
            "les investisseurs",
            "la devise",
            "le prix du pétrole",
        ],
        "météo": [
            "la tempête",
            "les prévisionnistes",
            "la canicule",
            "les précipitations",
            "le littoral",
            "les agriculteurs",
        ],
        "technologie": [
            "la jeune pousse",
            "le fabricant de puces",
            "les régulateurs",
            "l'application",
            "les ingénieurs",
            "la plateforme",
        ],
        "politique": [
            "le maire",
            "le conseil municipal",
            "l'opposition",
            "les électeurs",
            "le budget",
            "la commission",
        ],
    },
}
SUBJECTS = {
    "en": [
        "officials",
        "analysts",
        "diplomats",
        "the ministry",
        "observers",
        "a senior source",
        "experts",
        "the government",
        "satellite imagery",
        "intelligence services",
        "researchers",
        "the report",
    ],
    "fr": [
        "les responsables",
        "les analystes",
        "les diplomates",
        "le ministère",
        "les observateurs",
        "une source haut placée",
        "les experts",
        "le gouvernement",
        "des images satellites",
        "les services de renseignement",
        "les chercheurs",
        "le rapport",
    ],
}
VERBS = {
    "en": [
        "said",
        "warned",
        "estimated",
        "confirmed",
        "suggested",
        "denied",
        "noted",
        "reported",
        "argued",
        "acknowledged",
        "stressed",
        "indicated",
    ],
    "fr": [
        "ont déclaré",
        "ont averti",
        "ont estimé",
        "ont confirmé",
        "ont suggéré",
        "ont démenti",
        "ont noté",
        "ont rapporté",
        "ont fait valoir",
        "ont reconnu",
        "ont souligné",
        "ont indiqué",
    ],
}
CLAIMS = {
    "en": [
        "that {x} had changed little since {month}",
        "that {x} would rise by {n} percent",
        "that the talks on {x} remained difficult",
        "that {x} was expected within {k} weeks",
        "that {x} would cost about {n} million dollars",
        "that {x} had been delayed again",
        "that {k} new sites linked to {x} had been identified",
        "that {x} was a priority for {year}",
    ],
    "fr": [
        "que {x} avait peu changé depuis {month}",
        "que {x} augmenterait de {n} %",
        "que les discussions sur {x} restaient difficiles",
        "que {x} était attendu d'ici {k} semaines",
        "que {x} coûterait environ {n} millions de dollars",
        "que {x} avait de nouveau été retardé",
        "que {k} nouveaux sites liés à {x} avaient été identifiés",
        "que {x} était une priorité pour {year}",
    ],
}
TAILS = {
    "en": [
        "in a statement {weekday}",
        "during a briefing",
        "in an interview",
        "without giving details",
        "citing internal documents",
        "at a press conference",
        "in a written reply",
        "late {weekday}",
    ],
    "fr": [
        "dans un communiqué {weekday}",
        "lors d'un point presse",
        "dans un entretien",
        "sans donner de détails",
        "citant des documents internes",
        "lors d'une conférence de presse",
        "dans une réponse écrite",
        "tard {weekday}",
    ],
}
EXTRA_NOUNS = {
    "en": [
        "the supply chain",
        "the sanctions regime",
        "the harvest",
        "the railway link",
        "the port upgrade",
        "energy exports",
        "the reform",
        "the new bridge",
        "wage growth",
        "the housing plan",
        "the pipeline",
        "the border crossing",
        "tourism",
        "fertiliser imports",
        "the vaccine rollout",
        "fishing quotas",
    ],
    "fr": [
        "la chaîne d'approvisionnement",
        "le régime de sanctions",
        "la récolte",
        "la liaison ferroviaire",
        "la modernisation du port",
        "les exportations d'énergie",
        "la réforme",
        "le nouveau pont",
        "la hausse des salaires",
        "le plan logement",
        "le gazoduc",
        "le poste-frontière",
        "le tourisme",
        "les importations d'engrais",
        "la campagne de vaccination",
        "les quotas de pêche",
    ],
}
MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}
WEEKDAYS = {
    "en": ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi"],
}
BOILERPLATE = {
    "en": [
        "Reporting by staff; editing by the news desk.",
        "© Wire service. All rights reserved.",
        "Sign up for our morning newsletter.",
        "This article was updated with additional reporting.",
    ],
    "fr": [
        "Avec AFP.",
        "© Agence. Tous droits réservés.",
        "Inscrivez-vous à notre lettre d'information.",
        "Cet article a été mis à jour.",
    ],
}
