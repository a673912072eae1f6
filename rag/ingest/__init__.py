"""From files to passages: reading articles, cleaning news-page text, chunking into passages."""
