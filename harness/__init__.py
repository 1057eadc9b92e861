"""Test harness for cron jobs on Kubernetes: clusters, services, images, deploy, run, verify."""

__version__ = "0.1.0"
