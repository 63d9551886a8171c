-- Full-text index on articles (title + text): the extension's schema, tokenizer, stopwords and
-- BM25 macro, made once over an empty stand-in (db.create_empty_search_index); the fts extension
-- does not update its index on INSERT, so sql/fts_add.sql adds the rows load by load.
-- The default tokenizer keeps only [a-z]: digits ("2010") and non-Latin letters ("Москва")
-- would vanish. Here anything that is not a Unicode letter or digit separates tokens;
-- accents are stripped and text lowercased on both sides (index and query).
-- The stemmer and stopwords here are those of English articles; sql/fts_add.sql stems every
-- article with its own language's stemmer (sql/search_stemmer.sql) and drops the English
-- stopwords from English articles only.
PRAGMA create_fts_index(
    'articles', 'article_id', 'title', 'text',
    stemmer = 'english',
    stopwords = 'english',
    ignore = '[^\p{L}\p{N}]+',
    strip_accents = 1,
    lower = 1,
    overwrite = 1
);
