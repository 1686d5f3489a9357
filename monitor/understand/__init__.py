"""Understanding the news: relevance, tags, entities, duplicates, stories, and what is new.

    topic      the watch definition (TOML): relevance terms, tags, gazetteer           topic.py
    document   an article cut into title / lead / body sentences                       document.py
    relevance  both sides of the relationship, weighted by zone → relevant or why not  relevance.py
    tags       the topic's taxonomy                                                    tags.py
    entities   gazetteer names, unknown capitalised names, figures, dates              entities.py, facts.py
    dedupe     exact (hash, URL) and near (MinHash-LSH) duplicates                     dedupe.py
    stories    the clusterer seam: features + story profiles + IDF weights → decision  stories.py
    novelty    new / developing / known in a window, and the new-fact sentences        novelty.py
    present    key sentences, "previously", first-seen names                          present.py
    storage    the stage's reads and writes: claim, IN lookups, snapshot, upserts      storage.py
    analyze    the orchestrator: read once per batch, decide, write once               analyze.py
    window     the digest data for a window                                            window.py

Decision logic is pure (data and ``now`` in, data out); only ``storage``, ``analyze`` and ``window`` touch
the store.
"""
