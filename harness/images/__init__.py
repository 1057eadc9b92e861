"""Container images for the jobs, built without Docker and without a registry.

``ensure_base("python"|"spark")`` makes the shared base images (debootstrap + PyPI, cached);
``build_job_image`` builds a job's Dockerfile on one with buildah into an archive (cached by content);
``load_image`` puts the archive into the cluster's containerd (local) or kind nodes.
"""

from harness.images.base import BaseKind, base_ref, ensure_base
from harness.images.job import build_job_image
from harness.images.load import load_image

__all__ = ["BaseKind", "base_ref", "build_job_image", "ensure_base", "load_image"]
