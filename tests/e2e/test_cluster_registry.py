"""Images through the registry on the local provider: a job image built with buildah (content-addressed tag)
is pushed to the cluster's loopback registry, and the kubelet pulls it from there through containerd's CRI
(plain HTTP, configured by a hosts file); after the image is removed from containerd's store, the next pod
pulls it again, which proves a pull and not an import.

The cluster under test is a second, separate instance (own state dir, free ports, bridge, pod subnet, cgroup
root) with its own registry on a free port, so the machine's cluster and registry are never touched.
Push and pull times are printed as ``FIGURE`` lines (``-s`` shows them).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from harness.cluster.containerd import ctr, image_present
from harness.cluster.existing import ExistingCluster
from harness.cluster.local import LocalCluster
from harness.cluster.local_config import LocalLayout, LocalNetwork, free_ports
from harness.deploy import image_values
from harness.images import JobImage, build_job_image, ensure_base
from harness.images.reference import ImageRef
from harness.registry import has_image
from tests.e2e.markers import needs_local_cluster
from tests.e2e.service_checks import listening_addresses
from tests.e2e.test_images import write_job

pytestmark = [pytest.mark.e2e, needs_local_cluster]

NETWORK = LocalNetwork(service_cidr="10.96.4.0/24", pod_subnet="10.88.4.0/24", bridge="cronhreg0")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    # networking=False: only one cluster on a machine may run kube-proxy, and pulls need no Service network.
    layout = LocalLayout(tmp_path_factory.mktemp("cluster"), ports=free_ports(), network=NETWORK,
                         cgroup_root="/cronharness-regtest", networking=False)
    local = LocalCluster(layout)
    try:
        local.up()
        yield local
    finally:
        local.down()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> JobImage:
    """A small job on the python base (a nonce makes this run's image its own)."""
    context = tmp_path_factory.mktemp("app")
    write_job(context, f"print('pulled {context.name}')\n")
    started = time.monotonic()
    image = build_job_image(context, "localhost/cronharness-test/pulled", ensure_base("python"))
    print(f"FIGURE job image build {time.monotonic() - started:.1f}s")
    return image


@pytest.fixture(scope="module")
def pushed(cluster: LocalCluster, built: JobImage) -> ImageRef:
    """The image given to the local cluster: pushed to its registry."""
    started = time.monotonic()
    ref = cluster.load_image(built.archive, built.ref)
    print(f"FIGURE push to the loopback registry {time.monotonic() - started:.1f}s")
    return ref


def run_pod(cluster: LocalCluster, name: str, ref: ImageRef) -> dict[str, object]:
    """Run a pod of ``ref`` with the chart's pull policy to completion; return it (status included)."""
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"restartPolicy": "Never", "containers": [{
            "name": "job", "image": str(ref), "imagePullPolicy": image_values(ref)["image"]["pullPolicy"],
        }]},
    }
    cluster.kubectl("apply", "-f", "-", input_text=json.dumps(pod))
    cluster.kubectl("wait", "--for=jsonpath={.status.phase}=Succeeded", f"pod/{name}", "--timeout=180s",
                    timeout=200)
    found: dict[str, object] = json.loads(cluster.kubectl("get", "pod", name, "-o", "json"))
    return found


def pull_events(cluster: LocalCluster, pod: str) -> list[str]:
    events = json.loads(cluster.kubectl("get", "events", "-n", "default", "--field-selector",
                                        f"involvedObject.name={pod}", "-o", "json"))["items"]
    return [e["reason"] for e in sorted(events, key=lambda e: e["metadata"]["creationTimestamp"])
            if e["reason"] in ("Pulling", "Pulled")]


def test_registry_is_on_loopback_and_containerd_pulls_from_it_in_plain_http(cluster: LocalCluster) -> None:
    registry = cluster.registry
    assert registry.root == cluster.layout.root / "registry"
    assert registry.process.pid is not None
    assert listening_addresses(registry.process.pid) == {registry.address}
    hosts = cluster.layout.containerd.hosts_dir / registry.address / "hosts.toml"
    assert f'server = "http://{registry.address}"' in hosts.read_text()


def test_job_image_is_pushed_with_its_content_key_and_pulled_by_the_kubelet(
    cluster: LocalCluster, pushed: ImageRef
) -> None:
    assert str(pushed).startswith(f"{cluster.registry.address}/cronharness-test/pulled:")
    assert len(pushed.tag) == 12
    assert has_image(pushed)
    socket = cluster.layout.containerd.socket
    assert not image_present(socket, str(pushed))  # never imported: only a pull can bring it
    started = time.monotonic()
    run_pod(cluster, "first", pushed)
    print(f"FIGURE pod of a pushed image to Succeeded (pull included) {time.monotonic() - started:.1f}s")
    assert cluster.kubectl("logs", "pod/first").startswith("pulled ")
    assert pull_events(cluster, "first") == ["Pulling", "Pulled"]
    assert image_present(socket, str(pushed))


def test_pull_works_again_after_the_image_left_containerds_store(cluster: LocalCluster, pushed: ImageRef) -> None:
    socket = cluster.layout.containerd.socket
    if not image_present(socket, str(pushed)):
        run_pod(cluster, "warm", pushed)
    ctr(socket, "images", "remove", str(pushed))
    assert not image_present(socket, str(pushed))
    started = time.monotonic()
    pod = run_pod(cluster, "again", pushed)
    print(f"FIGURE pod after the image was removed from containerd (pulled again) {time.monotonic() - started:.1f}s")
    assert pull_events(cluster, "again") == ["Pulling", "Pulled"]
    assert image_present(socket, str(pushed))
    statuses = pod["status"]["containerStatuses"]  # type: ignore[index]
    assert statuses[0]["image"] == str(pushed)



def test_existing_provider_pushes_to_the_registry_given_and_its_nodes_pull(
    cluster: LocalCluster, built: JobImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The existing provider on this cluster, with its registry given as ``HARNESS_REGISTRY`` (under a path
    of its own, so the image is pushed afresh rather than found from the local provider's push)."""
    monkeypatch.setenv("HARNESS_REGISTRY", f"{cluster.registry.address}/existing")
    existing = ExistingCluster(cluster.kubeconfig)
    ref = existing.load_image(built.archive, built.ref)
    assert str(ref) == f"{cluster.registry.address}/existing/cronharness-test/pulled:{built.ref.tag}"
    assert has_image(ref)
    run_pod(cluster, "existing", ref)
    assert pull_events(cluster, "existing") == ["Pulling", "Pulled"]
    assert cluster.kubectl("logs", "pod/existing").startswith("pulled ")
