"""Job images as release artifacts, released with their charts.

A job's image is built exactly as its tests build it (harness/deploy.py: its app/ on its base image, tagged
with the build's content key) and pushed under the name its chart's values give it, ``<registry>/<image.repository>``,
tagged with the chart's ``appVersion``: the tag the library renders when ``image.tag`` is empty, so a chart
installed from the registry pulls the image released with it. That a changed image gets a new appVersion is
the version check's part (harness/delivery/versions.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from harness.charts.discover import job_charts
from harness.deploy import build_job, job_chart
from harness.errors import HarnessError
from harness.images.reference import ImageRef, registry_address
from harness.registry import push_archive


@dataclass(frozen=True)
class ReleasedImage:
    """One job image in a registry.

    Attributes:
        job: the job chart's name.
        ref: where it was pushed, ``<registry>/<image.repository>:<appVersion>``.
        built: the local build it came from (``localhost/cronharness/jobs/<job>:<content key>``).
        digest: the pushed manifest's digest.
    """

    job: str
    ref: ImageRef
    built: ImageRef
    digest: str


def release_ref(job: str, registry: str) -> ImageRef:
    """Where job ``job``'s image is released in ``registry`` (``host[:port][/path]``).

    Raises:
        HarnessError: when the chart has no ``appVersion`` or no ``image.repository`` in its values.yaml.
    """
    chart = job_chart(job)
    app_version = (yaml.safe_load((chart / "Chart.yaml").read_text()) or {}).get("appVersion")
    repository = ((yaml.safe_load((chart / "values.yaml").read_text()) or {}).get("image") or {}).get("repository")
    if not app_version:
        raise HarnessError(f"{job}: charts/jobs/{job}/Chart.yaml has no appVersion; set it (the image's release tag)")
    if not repository:
        raise HarnessError(f"{job}: charts/jobs/{job}/values.yaml sets no image.repository; set the name its image "
                           "is released under (e.g. cmsmonitoring/{job})")
    return ImageRef(registry_address(registry), str(repository), str(app_version))


def release_jobs(jobs: Sequence[str] = ()) -> list[str]:
    """The jobs to release: ``jobs`` as given, or every job chart."""
    return list(jobs) or [chart.name for chart in job_charts()]


def publish_images(registry: str, jobs: Sequence[str] = ()) -> list[ReleasedImage]:
    """Build each job's image and push it to ``registry`` under its release name (:func:`release_ref`).

    Args:
        registry: ``host[:port][/path]``; plain HTTP only when it is on loopback.
        jobs: the jobs (default: every job chart).

    Returns:
        What was pushed, in order.

    Raises:
        HarnessError: when a chart lacks its release name, an image cannot be built or the push is refused.
    """
    released = []
    for job in release_jobs(jobs):
        ref = release_ref(job, registry)
        image = build_job(job)
        digest = push_archive(image.archive, ref, content_addressed=False)
        assert digest is not None  # a release tag is always pushed
        released.append(ReleasedImage(job, ref, image.ref, digest))
    return released
