"""Ingest: feeds and pages from the network (or local files) into stored articles.

    netguard   which URLs and addresses may be fetched at all
    http       one polite, size-capped HTTP GET with manual redirects and conditional requests
    canonical  the canonical form of an article URL (tracking dropped, aggregator links unwrapped)
    parse      feed bytes → FeedEntry (feedparser, capped, hostile documents refused)
    extract    page bytes → Extracted (trafilatura) and the NewArticle built from it
    lang       language of a text
    robots     robots.txt per host, for article pages
    pipeline   the orchestrator: due feeds → polls → new entries → pages → extraction → store
"""
