-- Fragment: every stemmer search_stemmer.sql can name (a query for all languages is stemmed with each).
['english', 'german', 'french', 'spanish', 'italian', 'portuguese', 'dutch', 'russian', 'danish', 'swedish',
 'norwegian', 'finnish', 'hungarian', 'romanian', 'turkish', 'catalan', 'basque', 'greek', 'irish',
 'lithuanian', 'indonesian', 'arabic', 'hindi', 'nepali', 'tamil', 'none']
