"""Read what a job wrote, for the job tests: one module per kind of output.

- :mod:`~harness.checks.search`: Elasticsearch/OpenSearch indices, documents and mappings;
- :mod:`~harness.checks.mongo`: MongoDB (FerretDB) collections, documents and indexes;
- :mod:`~harness.checks.hdfs`: HDFS files, text and parquet datasets;
- :mod:`~harness.checks.files`: files on a host volume (CSV, PNG);
- :mod:`~harness.checks.volume`: files in a PersistentVolumeClaim, read through the API (a reader pod);
- :mod:`~harness.checks.metrics`: what a job pushed to the Pushgateway;
- :mod:`~harness.checks.logs`: the job's structured (JSON) log lines;
- :mod:`~harness.checks.spark`: the executor pods a Spark driver ran on Kubernetes.

Each function returns plain Python values (dicts, lists, numbers) so a test compares them with ``==`` against
what it computed from the seeded inputs; none of them asserts anything itself.
"""
