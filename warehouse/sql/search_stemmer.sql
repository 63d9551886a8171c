-- Fragment: the Snowball stemmer (DuckDB fts `stem`) for the ISO 639-1 code in `language`;
-- 'none' (words kept whole, only lowercased and accents stripped) for any other language and
-- for articles whose language is unknown. Included by fts_add.sql (index) and search.sql (query),
-- so both sides stem a word alike. Changing it changes fts.config_digest: the next load rebuilds.
-- DuckDB's `stem` is the Snowball library PyStemmer wraps: on 198k words it gave the same stems
-- for english and russian, 3-5x faster, with no round trip of the words through Python.
CASE lower(language)
    WHEN 'en' THEN 'english' WHEN 'de' THEN 'german' WHEN 'fr' THEN 'french' WHEN 'es' THEN 'spanish'
    WHEN 'it' THEN 'italian' WHEN 'pt' THEN 'portuguese' WHEN 'nl' THEN 'dutch' WHEN 'ru' THEN 'russian'
    WHEN 'da' THEN 'danish' WHEN 'sv' THEN 'swedish' WHEN 'no' THEN 'norwegian' WHEN 'nb' THEN 'norwegian'
    WHEN 'nn' THEN 'norwegian' WHEN 'fi' THEN 'finnish' WHEN 'hu' THEN 'hungarian' WHEN 'ro' THEN 'romanian'
    WHEN 'tr' THEN 'turkish' WHEN 'ca' THEN 'catalan' WHEN 'eu' THEN 'basque' WHEN 'el' THEN 'greek'
    WHEN 'ga' THEN 'irish' WHEN 'lt' THEN 'lithuanian' WHEN 'id' THEN 'indonesian' WHEN 'ar' THEN 'arabic'
    WHEN 'hi' THEN 'hindi' WHEN 'ne' THEN 'nepali' WHEN 'ta' THEN 'tamil'
    ELSE 'none'
END
