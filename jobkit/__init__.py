"""jobkit: the small runtime library that job code uses inside job images.

What every job needs, done once: configuration from environment variables (:mod:`jobkit.config`),
structured JSON logs (:mod:`jobkit.logs`), Pushgateway metrics (:mod:`jobkit.metrics`), the
``run_job`` wrapper that ties them together with exit codes (:mod:`jobkit.run`), idempotent sinks
(:mod:`jobkit.sinks`) and a Spark session builder (:mod:`jobkit.spark`; pyspark is optional).
"""
