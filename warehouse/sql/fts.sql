-- Full-text index on articles (title + text): the extension's schema, tokenizer, stopwords and
-- BM25 macro, made once over an empty stand-in (db.create_empty_search_index); the fts extension
-- does not update its index on INSERT, so sql/fts_add.sql adds the rows load by load.
-- The default tokenizer keeps only [a-z]: digits ("2010") and non-Latin letters ("Москва")
-- would vanish. Here anything that is not a Unicode letter or digit separates tokens;
-- accents are stripped and text lowercased on both sides (index and query).
PRAGMA create_fts_index(
    'articles', 'article_id', 'title', 'text',
    stemmer = 'porter',
    stopwords = 'english',
    ignore = '[^\p{L}\p{N}]+',
    strip_accents = 1,
    lower = 1,
    overwrite = 1
);
