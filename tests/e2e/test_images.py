"""Job images end to end, with no Docker: the python base from debootstrap (cached after the first run),
a sample job Dockerfile built on it with buildah and ``--build-arg BASE_IMAGE`` under a content-addressed
tag, the archive imported into a containerd of our own (temporary root, state and socket), the image
listed under its tag, and the job run from it with ``ctr run`` (runc) as the chart runs it: uid 10001,
read-only root filesystem, writable /tmp. The spark base gets the same treatment with a real
SparkSession. (Pulls through the registry: tests/e2e/test_cluster_registry.py.)

Build and import times are printed as ``FIGURE`` lines (run with ``-s`` to see them).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cluster.containerd import import_image
from harness.errors import HarnessError
from harness.images import JobImage, build_job_image, ensure_base
from harness.images import job as job_module
from harness.images.buildah import buildah, image_config, image_id
from harness.images.job import jobs_cache
from harness.process import ManagedProcess
from harness.toolchain import apt_ensure, pinned
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e

SAMPLE_DOCKERFILE = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY main.py /app/main.py
CMD ["python3", "/app/main.py"]
"""

# Proves what the chart relies on: the non-root user, the pinned clients, a writable /tmp only.
SAMPLE_MAIN = """\
import os, sys, requests, pymongo
open("/tmp/probe", "w").write("ok")
try:
    open("/app/probe", "w")
    root = "writable"
except OSError:
    root = "read-only"
print(f"hello {NONCE} uid={os.getuid()} python={sys.version_info[0]}.{sys.version_info[1]} "
      f"requests={requests.__version__} pymongo={pymongo.version} root={root}")
"""

SPARK_MAIN = """\
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[1]").appName("image-test").getOrCreate()
total = spark.range(1, 1001).groupBy().sum("id").collect()[0][0]
print(f"spark={spark.version} sum={total}")
spark.stop()
"""


def figure(name: str, seconds: float) -> None:
    print(f"FIGURE {name}: {seconds:.1f}s")


# --- a containerd of our own ---------------------------------------------------------------------
class Containerd:
    """A containerd with its own root, state and socket in a temporary directory (CRI disabled)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "containerd.sock"
        self.process = ManagedProcess(
            "containerd", directory / "containerd.pid", directory / "containerd.log"
        )

    def start(self) -> None:
        config = self.directory / "config.toml"
        config.write_text(
            "version = 2\n"
            f'root = "{self.directory / "root"}"\n'
            f'state = "{self.directory / "state"}"\n'
            # Only images and plain containers are needed here; the CRI would want CNI and a sandbox.
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            f'[grpc]\n  address = "{self.socket}"\n'
            f'[ttrpc]\n  address = "{self.socket}.ttrpc"\n'
            '[debug]\n  address = ""\n'
            '[metrics]\n  address = ""\n'
        )
        self.process.start(["containerd", "--config", str(config)])
        wait_until(
            lambda: self.socket.is_socket() and self.ctr("version").returncode == 0,
            timeout=30,
            what="the test containerd to serve",
            describe=self.process.log_tail,
        )

    def ctr(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ctr", "--address", str(self.socket), "-n", "k8s.io", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def images(self) -> list[str]:
        return self.ctr("images", "list", "--quiet").stdout.split()

    def run_image(self, ref: str, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
        """Run ``ref`` to completion as the chart would: read-only root, tmpfs /tmp, image's user."""
        return self.ctr(
            "run", "--rm", "--read-only",
            "--mount", "type=tmpfs,src=tmpfs,dst=/tmp,options=rw:nosuid:nodev",
            *extra, ref, name,
        )  # fmt: skip


@pytest.fixture(scope="module")
def containerd() -> Iterator[Containerd]:
    apt_ensure("containerd", "runc")
    # A short path: a unix socket's name must stay under 108 bytes.
    directory = Path(tempfile.mkdtemp(prefix="cronharness-ctd-"))
    instance = Containerd(directory)
    try:
        instance.start()
        yield instance
    finally:
        instance.process.stop()
        assert not instance.process.running()
        shutil.rmtree(directory, ignore_errors=True)


def write_job(context: Path, main: str) -> None:
    context.mkdir(parents=True, exist_ok=True)
    (context / "Dockerfile").write_text(SAMPLE_DOCKERFILE)
    (context / "main.py").write_text(main)


def forget(*images: JobImage) -> None:
    """Drop what a test built: its archives and its images in the buildah store."""
    for image in images:
        image.archive.unlink(missing_ok=True)
        with contextlib.suppress(HarnessError):  # already gone: nothing to clean
            buildah("rmi", "--force", str(image.ref))


# --- tests ---------------------------------------------------------------------------------------
def test_python_job_image_builds_loads_and_runs(
    containerd: Containerd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    base = ensure_base("python")
    figure("python base (ensure_base, cached after the first run)", time.monotonic() - started)
    config = image_config(base)
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["/usr/bin/tini", "--"]

    # A nonce makes the first build of this run a real (cold) build of the job's own layer.
    nonce = tmp_path.name
    repository = "localhost/cronharness-test/hello"
    context = tmp_path / "app"
    write_job(context, f"NONCE = {nonce!r}\n" + SAMPLE_MAIN)
    built: list[JobImage] = []
    try:
        started = time.monotonic()
        image = build_job_image(context, repository, base)
        figure("job image build, cold", time.monotonic() - started)
        built.append(image)
        tag = str(image.ref)
        # the tag is the build's content key (the archive's name carries it too)
        assert image.ref.tag == job_module.job_cache_key(context, repository, image_id(base) or "")
        assert image.archive == jobs_cache() / f"localhost-cronharness-test-hello-{image.ref.tag}.tar"
        assert image.archive.is_file()
        first_id = image_id(tag)

        # Unchanged context and base: the cached archive is returned and nothing is built.
        def no_build(*args: object, **kwargs: object) -> str:
            raise AssertionError("an unchanged job was rebuilt")

        monkeypatch.setattr("harness.images.buildah.build", no_build)
        started = time.monotonic()
        assert build_job_image(context, repository, base) == image
        figure("job image build, warm (unchanged)", time.monotonic() - started)
        monkeypatch.undo()

        started = time.monotonic()
        import_image(containerd.socket, image.archive)
        figure("ctr images import of the job image", time.monotonic() - started)
        assert tag in containerd.images()

        done = containerd.run_image(tag, "hello-e2e")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == (
            f"hello {nonce} uid=10001 python=3.11 requests=2.34.2 pymongo=4.20.0 root=read-only"
        )

        # An edited job gets a new tag and archive, and the old ones are dropped.
        write_job(context, f"NONCE = {nonce + '-2'!r}\n" + SAMPLE_MAIN)
        started = time.monotonic()
        edited = build_job_image(context, repository, base)
        figure("job image build, after an edit (base layers cached)", time.monotonic() - started)
        built.append(edited)
        assert edited.ref.repository == image.ref.repository
        assert edited.ref.tag != image.ref.tag
        assert edited.archive.is_file()
        assert not image.archive.exists()
        # ... and the image it replaced leaves the store.
        assert first_id is not None
        assert image_id(tag) is None
        assert first_id not in buildah("images", "--all", "--no-trunc", "--quiet")
    finally:
        forget(*built)
        for done_image in built:
            containerd.ctr("images", "remove", str(done_image.ref))


def test_spark_job_image_runs_a_spark_session(containerd: Containerd, tmp_path: Path) -> None:
    started = time.monotonic()
    base = ensure_base("spark")
    figure("spark base (ensure_base, cached after the first run)", time.monotonic() - started)
    assert image_config(base)["User"] == "10001:10001"

    context = tmp_path / "app"
    write_job(context, SPARK_MAIN)
    image = build_job_image(context, "localhost/cronharness-test/spark-hello", base)
    tag = str(image.ref)
    try:
        started = time.monotonic()
        import_image(containerd.socket, image.archive)
        figure("ctr images import of the spark job image", time.monotonic() - started)
        assert tag in containerd.images()
        # Spark's driver binds a port: host networking on loopback, as the chart's Spark pods do.
        loopback = ["--env", "SPARK_LOCAL_IP=127.0.0.1", "--env", "SPARK_LOCAL_HOSTNAME=localhost"]
        done = containerd.run_image(tag, "spark-e2e", "--net-host", *loopback)
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.strip().splitlines()[-1] == f"spark={pinned('images', 'pyspark')} sum=500500"
    finally:
        forget(image)
        containerd.ctr("images", "remove", tag)
