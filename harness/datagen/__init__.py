"""Deterministic test data in the shapes the CMS monitoring cron jobs read (see shared/CMS-JOBS.md).

One module per source, each with a ``records``-style function that yields the generated records in memory
(for tests that compute expected job outputs independently) and a ``write`` function that writes exactly
those records at the production path layout through a :class:`harness.datagen.writers.Sink` (a local
directory or HDFS):

- :mod:`harness.datagen.condor`: HTCondor job records, JSON lines per day.
- :mod:`harness.datagen.wmarchive`: WMArchive framework job reports, JSON lines per day.
- :mod:`harness.datagen.dbs`: DBS catalogue dumps (FILES, DATASETS, BLOCKS, DATA_TIERS), sqoop-style CSV.
- :mod:`harness.datagen.rucio`: Rucio table dumps (replicas, contents, rses, dids, dataset_locks), avro.

DBS and Rucio describe the same catalogue (:mod:`harness.datagen.catalog`), so their ids and names join.
Everything is a pure function of (seed, size, dates): no global random state, no clock.
"""
