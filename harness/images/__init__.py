"""Container images for the jobs, built without Docker.

``ensure_base("python"|"spark")`` makes the shared base images (debootstrap + PyPI, cached);
``build_job_image`` builds a job's Dockerfile on one with buildah into an archive, tagged with its content
key; ``Cluster.load_image`` gives it to a cluster (pushed to its registry, or loaded into kind's nodes).
"""

from harness.images.base import BaseKind, base_ref, ensure_base
from harness.images.job import JobImage, build_job_image

__all__ = ["BaseKind", "JobImage", "base_ref", "build_job_image", "ensure_base"]
