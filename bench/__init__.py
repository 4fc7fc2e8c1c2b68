"""kg's benchmarks: every figure a ratio against a baseline measured in the same run, on the same data.

Run ``python -m bench --out build/bench.json`` (``make bench``).  Figures:

* ingest: articles/s and words/s of ``kg ingest --workers N`` against spaCy's ``nlp.pipe`` alone over the same
  texts with the same number of processes (both as fresh subprocesses, start-up included);
* memory: peak RSS (the process and its workers) of ``kg ingest`` at two corpus sizes;
* validation: pyshacl time per article as a share of the whole per-article ingest time;
* store load: quads/s of kg's per-article atomic writes against pyoxigraph's ``bulk_load`` of the same quads,
  and the floor of any atomic write per article: pyoxigraph's own transactional ``load``, one article a
  transaction, no kg code, against the same ``bulk_load`` and against kg's writes;
* queries: p50 and p95 latency of each named query through kg and through the bare store on the same SPARQL,
  on stores built by replicating real extractions under new article ids and dates.

``ratio`` is kg's cost over the baseline's (time over time, or the inverse of a throughput ratio): lower is
better, 1.0 is no overhead.  No figure is asserted anywhere: timing lives here, not in the tests.
"""
