"""Idempotent sinks: one :class:`~jobkit.sinks.base.Sink` interface and its backends.

- :mod:`jobkit.sinks.search`: Elasticsearch 8 / OpenSearch 2 indices (bulk, explicit ids, retries,
  index naming, keep-newest-index clean-up); the client comes from :mod:`jobkit.sinks.search_backends`.
- :mod:`jobkit.sinks.mongo`: MongoDB collections (FerretDB-compatible), replaced by a swap.
- :mod:`jobkit.sinks.webhdfs`: small files on HDFS through WebHDFS.
- :mod:`jobkit.sinks.spark_hdfs`: Spark DataFrames as parquet on HDFS, partitions overwritten.

Backends import their client library only when they are used, so a job image carries just the
clients it needs.
"""
