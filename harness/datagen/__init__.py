"""Deterministic test data in the shapes the CMS monitoring cron jobs read (each module states its shape).

One module per source. Each has a function that yields the generated records in memory (for tests that
compute expected job outputs independently) and a ``write`` function that writes exactly those records at
the production path layout through a :class:`~harness.datagen.writers.Sink`:

- :mod:`~harness.datagen.condor`: HTCondor job records, JSON lines per day
  (``/project/monitoring/archive/condor/raw/metric/YYYY/MM/DD/part-0000N.json``).
- :mod:`~harness.datagen.wmarchive`: WMArchive framework job reports, JSON lines per day
  (``/project/monitoring/archive/wmarchive/raw/metric/YYYY/MM/DD/part-0000N.json``).
- :mod:`~harness.datagen.dbs`: DBS catalogue dumps (DATA_TIERS, DATASETS, BLOCKS, FILES), sqoop-style CSV
  (``/project/awg/cms/dbs/PROD_GLOBAL/YYYY-MM-DD/<TABLE>/part-m-00000.gz``).
- :mod:`~harness.datagen.rucio`: Rucio table dumps (rses, dids, contents, replicas, dataset_locks), avro
  (``/project/awg/cms/rucio/YYYY-MM-DD/<table>/part-m-00000.avro``).
- :mod:`~harness.datagen.eos`: EOS file-close reports, JSON lines per day whose paths join with the
  catalogue (``/project/monitoring/archive/eos-report/logs/cms/YYYY/MM/DD/part-NNNNN.json``).
- :mod:`~harness.datagen.used_space`: the daily Rucio used-space series as OpenMetrics text, for a
  Prometheus filled with ``promtool tsdb create-blocks-from openmetrics``.

DBS and Rucio are two views of one catalogue (:mod:`~harness.datagen.catalog`): with the same seed and
size their ids and names join. Everything is a pure function of (seed, size, dates): no global random
state, no clock, byte-identical files from run to run. Generation streams: a million records never sit in
memory together.

Example::

    day = date(2026, 11, 20)
    sink = LocalDirSink(tmp_path)  # or HdfsSink(webhdfs_client(hdfs))
    condor.write(sink, seed=1, n=100_000, day=day)
    completed = [r for r in condor.records(1, 100_000, day) if r["data"]["Status"] == "Completed"]
"""
