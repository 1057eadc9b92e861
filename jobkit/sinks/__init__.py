"""Idempotent sinks: one :class:`~jobkit.sinks.base.Sink` interface and its backends.

- :mod:`jobkit.sinks.search`: Elasticsearch 8 / OpenSearch 2 indices (bulk, explicit ids, retries,
  index naming, keep-newest-index clean-up); the client comes from :mod:`jobkit.sinks.search_backends`.
- :mod:`jobkit.sinks.mongo`: MongoDB collections (FerretDB-compatible), replaced by a swap.
- :mod:`jobkit.sinks.webhdfs`: small files on HDFS through WebHDFS.
- :mod:`jobkit.sinks.spark_hdfs`: Spark DataFrames as parquet on HDFS, partitions overwritten.
- :mod:`jobkit.sinks.files`: report files on a mounted volume (EOS), each replaced atomically.

Backends import their client library only when they are used, so a job image carries just the
clients it needs.
"""
