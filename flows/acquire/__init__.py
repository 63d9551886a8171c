"""Acquisition: where a run's captures come from and how their raw bytes are had.

In the order of the chain (discover → fetch → keep), then the reader of WARC inputs:

    captures.py        CaptureRef (where a capture is) and Capture (its bytes); SourceError
    archive.py         rules of Wayback-style archives: prefix, CDX endpoint, timestamps, id_ form
    discovery.py       discover(): every source a run names, in order, each capture once
      urllists.py      URL list files (archived replay URLs or live URLs)
      cdx.py           CDX queries (web.archive.org and pywb shapes, paging, capture policy)
      sitemaps.py      sitemaps, sitemap indexes, Google News sitemaps
    limits.py          per-host rate limits of one process; the --rate syntax
    shared_limits.py   the same limits shared by the processes of a run (Dask workers)
      limit_backends.py  where shared send times are booked: Dask scheduler or Prefect server
    responses.py       Response, the typed fetch errors, is_html
    sessions.py        pooled requests sessions; one request under timeouts and a size cap
      addresses.py     no connections to private addresses (checked after DNS, the checked one dialled)
      deadlines.py     each attempt's wall-clock deadline, enforced while the socket waits
    robots.py          robots.txt of live hosts, once per origin
    http.py            Fetcher: limiter + sessions + RetryPolicy + redirects + robots.txt
    fetching.py        fetcher_from_options (a run's fetcher), fetch_batch / fetch_stream
    rawarchive.py      every fetched response appended to WARC files (reprocess reads them)
    warc.py            captures read out of WARC files (inputs, the sample, our raw archive)
      warcrecords.py   every record: FastWARC where clean, warcio per record where not, ARC
      warcbytes.py     byte-level looks: the next record header, whole-file gzip, a cut last record
      warcbody.py      a payload's bytes: de-chunked, decompressed, under the size cap

How a replay URL is written and read back is a pure rule in transforms/urls.py.
"""
