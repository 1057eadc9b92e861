"""Delivery: chart packages and their version check, OCI publishing, and the Argo CD ApplicationSet model."""
