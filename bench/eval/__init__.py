"""The understand stage's evaluation: labelled French/English sets and their scores.

    python -m bench.eval [--set PATH] [--half tune|report|all] [--json] [--direct] [--verbose]

``devset.jsonl`` (issue 12) holds 175 articles written for this project about real, dated events of the
Russia–North Korea relationship after each seed (2023–2025), split in two halves by whole story-weeks:
``tune`` (seed001, seed003, seed004 and the stories of their periods, the treaty's ratification, Kursk
acknowledged, the Tumen bridge, sappers, the train, the flights, the fallen of Kursk…) and ``report``
(seed000, seed002, the missiles of January 2024, troops in October 2024, Choe's visits, prisoners, the
monitoring team's report, Wonsan, Beijing, the party anniversary…). Each half has follow-ups of seeds that
share few names with them, late follow-ups (> 3 weeks), weeks that only re-tell a baseline, stories
running in the same weeks with the same actors, translations, transliteration variants, long features,
short wires, syndicated copies and off-topic items naming both countries.

Fields per article: ``id``, ``source`` (invented outlet names), ``lang``, ``published`` (ISO, UTC),
``title``, ``text`` (paragraphs separated by newlines), ``relevant``, ``story`` (label; seeds are
"seed000"…), ``duplicate_of`` (eval id, or a seed id such as "seed-000_f7e50d4cada97fff"), ``new_facts``
(the facts new against the story's seed and its earlier weeks; empty for re-tellings), ``translation_of``,
``kind`` (case tags: followup, late-followup, retelling, known-week, feature, wire, syndicated,
translation, translit, few-shared-names, offtopic…) and ``split``. The truth per story-week (new /
developing / known, see ``score.story_week_truth``) is written to ``devset_weeks.jsonl``.

How the labels were decided:

- ``relevant``: the article is about the Russia–North Korea relationship; an article about something else
  (markets, the Olympics, North Korea's own weapons tests, China's ties with Pyongyang) that names both
  countries in passing is not relevant.
- ``story``: one event and its direct consequences as reported in the following weeks — a follow-up that
  carries out its agreements (Krivoruchko's delegation a month after the June 2024 summit), delivers what
  it arranged (the containers after Vostochny) or reacts to it. A later visit, meeting or procedure by
  the same actors is a story of its own: Shoigu's four Pyongyang visits are four stories, Choe's three
  trips to Moscow three, and the treaty's ratification (October–December 2024) is not the June summit's
  story. Seeds never share a story.
- ``new_facts``: what an article reports that neither the story's seed nor its articles of earlier weeks
  did (same-week articles of a story may share new facts). Background — the years of a past war, "the
  first visit since 2000", facts of other stories — is not a new fact. A copy or a translation carries the
  same facts as its original.

``articles.jsonl`` is the first, 38-article set (no halves; boolean ``adds_facts``), still read by
tests/test_understand_pipeline.py and usable with ``--set``.
"""
