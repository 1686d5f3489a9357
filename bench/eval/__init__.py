"""The understand stage's evaluation: a labelled French/English development set and its scores.

    python -m bench.eval [--direct] [--verbose]

``articles.jsonl`` holds realistic short reports of real, dated events of the Russia–North Korea
relationship after the seeds (troops sent in October 2024, the treaty's ratification and entry into
force, prisoners in January 2025, Kursk acknowledged in April 2025, the Tumen road bridge, deminers in
June 2025, Lavrov in Wonsan, direct flights, the Beijing parade), with syndicated copies, translations,
re-tellings and a republication of the seeds, passing mentions and off-topic articles. Labels per
article: ``relevant``, ``duplicate_of`` (eval id or seed id), ``story`` (a label; seeds are "seed000"…),
``adds_facts`` (brings new facts to a story that already has baseline articles).

The set is served as RSS feeds and pages on 127.0.0.1 (``monitor.testing.LocalSite``) and ingested with
``Monitor.fetch()`` when it exists (``--direct`` stores the articles with ``save_article`` instead), then
analysed, and every week with window articles is digested with ``Monitor.digest_data``. Printed:
precision/recall/F1 for relevance, duplicates (pairs copy → original) and story grouping (pairs of
relevant articles in one story), and the accuracy of new/developing/known per story and week.
"""
