"""kind's node image, built here from what the harness already builds (there is no registry to pull from).

What a ``kindest/node`` image holds, made from our own pieces:

- the base: Debian bookworm made with debootstrap (:data:`NODE_PACKAGES`: systemd, Debian's
  containerd 1.6, runc, the CNI plugins, iptables) plus kind's own base files (its entrypoint, the
  kubelet and containerd units, /kind/bin), read from the pinned sigs.k8s.io/kind module;
- containerd's config for this VM (``restrict_oom_score_adj = true``: no CAP_SYS_RESOURCE) and a
  one-bridge CNI conflist (a single-node cluster needs no kindnetd);
- kubeadm, kubelet, kubectl of our Kubernetes build, and /kind/version;
- the images kubeadm runs, already in the node's containerd store (imported with a throw-away host
  containerd, ``--no-unpack`` as ``kind build node-image`` does), under the names kubeadm expects:
  kube-apiserver, kube-controller-manager, kube-scheduler, etcd (static binaries, one-layer images),
  kube-proxy (needs iptables: the node base plus the binary) and the sandbox image (catatonit);
- the images of the add-ons the harness runs on every cluster it starts, under their own names: CoreDNS
  (kubeadm's DNS addon is skipped, see kind.py), the local-path-provisioner and busybox (its helper pods);
- ``/kind/manifests/default-storage.yaml``, which ``kind create`` applies in place of kind's own storage
  manifest: our provisioner and its default StorageClass (:mod:`harness.cluster.storage`).

``kind build node-image`` itself is not used: it pulls every image that is not one of the four
Kubernetes image tars (etcd, CoreDNS, pause, kindnetd, the storage images), and nothing can be pulled
here. The image is saved to ``cache_root()/kind/`` keyed by everything that goes into it, and loaded into
the harness's dockerd when that lacks it.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

from harness.cluster import docker_engine, storage
from harness.cluster.containerd import ContainerdLayout, check_socket_path, ctr
from harness.cluster.k8s_build import build_etcd, build_kubernetes, build_node_extras
from harness.cluster.node_images import busybox_image, coredns_image, local_path_provisioner_image, pause_image
from harness.cluster.oci_archive import ImageSpec, write_image_archive
from harness.errors import HarnessError
from harness.images.cache import strings_digest, tree_digest
from harness.images.rootfs import ensure_rootfs
from harness.locking import cache_lock
from harness.paths import REPO_ROOT, cache_root
from harness.process import ManagedProcess
from harness.toolchain import pinned
from harness.toolchain.go import GO_MODULES_DIR, _go
from harness.toolchain.progress import say, step
from harness.waiting import wait_until

NODE_PACKAGES = (
    "systemd", "systemd-sysv", "dbus", "containerd", "runc", "containernetworking-plugins", "iptables",
    "nftables", "conntrack", "iproute2", "ethtool", "util-linux", "mount", "kmod", "libseccomp2",
    "bash", "ca-certificates", "procps", "jq",
)
NODE_CONTEXT = REPO_ROOT / "images" / "kind-node"
REPOSITORY = "cronharness.local/kind-node"
POD_SUBNET = "10.244.0.0/16"
# Clear of the local cluster's Service range 10.96.0.0/12 (10.96-10.111) and pod range 10.88.0.0/16.
SERVICE_SUBNET = "10.128.0.0/16"
# The kubelet's clusterDNS as kubeadm derives it: the tenth address of the Service range.
DNS_IP = str(ipaddress.ip_network(SERVICE_SUBNET)[10])
# Where the storage provisioner makes volumes inside the node (kind's own choice of directory).
VOLUMES = "/var/local-path-provisioner"
# The one pod bridge of the single node: pods' default route ends at the node (whose own network has
# no default route), so pod traffic cannot leave the machine either.
_NODE_POD_RANGE = "10.244.0.0/24"


def containerd_config(sandbox_image: str) -> str:
    """/etc/containerd/config.toml of the node (containerd 1.6, version 2 format)."""
    return f"""\
# Written by harness/cluster/kind_node.py: Debian's containerd 1.6 inside a kind node on this VM.
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  # Imported into the node image; never pulled (there is no registry).
  sandbox_image = "{sandbox_image}"
  # The VM (and so the node) lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj otherwise.
  restrict_oom_score_adj = true
  tolerate_missing_hugetlb_controller = true
  disable_apparmor = true

  [plugins."io.containerd.grpc.v1.cri".containerd]
    discard_unpacked_layers = true
    # kind's entrypoint rewrites this line when the node's filesystem needs another snapshotter.
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      base_runtime_spec = "/etc/containerd/cri-base.json"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = true

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
"""


def cni_conflist() -> str:
    """The node's pod network: one bridge with host-local addresses, no masquerade."""
    conf = {
        "cniVersion": "1.0.0",
        "name": "cronharness-kind",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cni0",
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": _NODE_POD_RANGE}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    return json.dumps(conf, indent=2) + "\n"


def cri_base_spec(default_spec: dict[str, object]) -> dict[str, object]:
    """kind's CRI base spec: containerd's default OCI spec plus kind's mount-product-files hook, no rlimits."""
    spec = json.loads(json.dumps(default_spec))
    hooks = spec.setdefault("hooks", {})
    hooks.setdefault("createContainer", []).append({"path": "/kind/bin/mount-product-files.sh"})
    spec.get("process", {}).pop("rlimits", None)
    return dict(spec)


def kind_module_dir() -> Path:
    """The pinned sigs.k8s.io/kind module in the Go module cache (downloaded on first use).

    Raises:
        HarnessError: when the module cannot be downloaded.
    """
    version = pinned("cluster", "kind")
    done = subprocess.run(
        [_go(), "mod", "download", "-json", f"sigs.k8s.io/kind@{version}"],
        cwd=GO_MODULES_DIR / "kind", capture_output=True, text=True, check=False,
        env={**_go_env()},
    )
    if done.returncode != 0:
        raise HarnessError(f"downloading sigs.k8s.io/kind@{version} failed: {done.stderr.strip()}")
    return Path(json.loads(done.stdout)["Dir"])


def _go_env() -> dict[str, str]:
    import os

    return {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}


def kubeadm_images(kubeadm: Path, version: str) -> dict[str, str]:
    """The images kubeadm runs for ``version``, by component (``kube-apiserver`` -> its full name)."""
    listed = subprocess.run(
        [str(kubeadm), "config", "images", "list", "--kubernetes-version", version],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    return {name.rsplit("/", 1)[-1].split(":", 1)[0]: name for name in listed}


def _file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


class _Inputs:
    """Everything that goes into the node image, gathered (and built) once."""

    def __init__(self) -> None:
        self.version = pinned("go", "kubernetes")
        server = build_kubernetes()
        extras = build_node_extras()
        self.binaries = {
            "kube-apiserver": server / "kube-apiserver",
            "kube-controller-manager": server / "kube-controller-manager",
            "kube-scheduler": server / "kube-scheduler",
            "kubelet": server / "kubelet",
            "kubectl": server / "kubectl",
            "kube-proxy": server / "kube-proxy",
            "kubeadm": extras / "kubeadm",
            "etcd": build_etcd(),
        }
        self.images = kubeadm_images(self.binaries["kubeadm"], self.version)
        self.pause_name, self.pause_archive = pause_image()
        self.provisioner, self.helper = local_path_provisioner_image(), busybox_image()
        # Images the node runs under their own names: name -> archive.
        self.addons = dict((coredns_image(), self.provisioner, self.helper))
        self.kind_files = kind_module_dir() / "images" / "base" / "files"
        self.rootfs = ensure_rootfs(NODE_PACKAGES)

    def key(self) -> str:
        return strings_digest(
            self.version, self.rootfs.parent.name, tree_digest(self.kind_files), tree_digest(NODE_CONTEXT),
            *(f"{name}={_file_digest(path)}" for name, path in sorted(self.binaries.items())),
            *sorted(self.images.values()), self.pause_name, containerd_config(self.pause_name), cni_conflist(),
            *(f"{name}={archive.name}" for name, archive in sorted(self.addons.items())), self.storage_manifest(),
        )

    def storage_manifest(self) -> str:
        """/kind/manifests/default-storage.yaml: the provisioner and the default StorageClass."""
        return yaml.safe_dump_all(storage.manifests(self.provisioner[0], self.helper[0], VOLUMES), sort_keys=False)


def node_image_name() -> str:
    """The node image for the pinned Kubernetes, present in the harness's dockerd (built or loaded first).

    The first build on a machine takes the debootstrap of the node base and the Kubernetes extras
    (kubeadm, kube-proxy) besides the image assembly; later calls load the cached archive or find the
    image already in dockerd.

    Returns:
        The image name to pass to ``kind create cluster --image``.

    Raises:
        HarnessError: when a step fails (named in the message).
    """
    inputs = _Inputs()
    name = f"{REPOSITORY}:{inputs.version}-{inputs.key()}"
    if _docker_has(name):
        return name
    archive = cache_root() / "kind" / f"node-{inputs.version}-{inputs.key()}.tar"
    with cache_lock(archive.parent / ".node-image.lock"):
        if not archive.exists():
            started = time.monotonic()
            _build(inputs, name, archive)
            say(f"    kind node image {name} built in {time.monotonic() - started:.0f}s")
            for older in archive.parent.glob("node-*.tar"):
                if older != archive:
                    older.unlink()
        if not _docker_has(name):
            with step(f"loading the kind node image from {archive}"):
                docker_engine.docker("load", "--input", str(archive), timeout=900)
    # Earlier node images (other keys) only take space in dockerd's data-root.
    for tag in docker_engine.docker("images", REPOSITORY, "--format", "{{.Tag}}").split():
        if f"{REPOSITORY}:{tag}" != name:
            with contextlib.suppress(HarnessError):  # still used by a node container
                docker_engine.docker("rmi", f"{REPOSITORY}:{tag}")
    return name


def _docker_has(name: str) -> bool:
    try:
        docker_engine.docker("image", "inspect", "--format", "{{.Id}}", name, timeout=60)
    except HarnessError:
        return False
    return True


def _component_archives(inputs: _Inputs, work: Path, base_tag: str) -> list[Path]:
    """The archives of the images kubeadm runs (plus the sandbox image) under kubeadm's names."""
    archives = [inputs.pause_archive, *inputs.addons.values()]
    for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"):
        spec = ImageSpec(
            name=inputs.images[component],
            files={f"/usr/local/bin/{component}": inputs.binaries[component]},
            directories=("/tmp", "/var/lib/etcd") if component == "etcd" else ("/tmp",),
        )
        archives.append(write_image_archive(spec, work / f"{component}.tar"))
    # kube-proxy programs iptables: its image is the node base (which has iptables) plus the binary.
    proxy_context = work / "kube-proxy"
    proxy_context.mkdir()
    shutil.copy2(inputs.binaries["kube-proxy"], proxy_context / "kube-proxy")
    (proxy_context / "Dockerfile").write_text(
        f"FROM {base_tag}\nCOPY kube-proxy /usr/local/bin/kube-proxy\nENTRYPOINT []\nCMD []\n"
    )
    proxy = inputs.images["kube-proxy"]
    docker_engine.docker("build", "--network", "none", "--tag", proxy, str(proxy_context), timeout=900)
    docker_engine.docker("save", "--output", str(work / "kube-proxy.tar"), proxy, timeout=900)
    docker_engine.docker("rmi", proxy, timeout=120)
    archives.append(work / "kube-proxy.tar")
    return archives


def _preload(archives: list[Path], root: Path) -> None:
    """Import ``archives`` into a containerd root for the node (a throw-away host containerd, no CRI)."""
    layout = ContainerdLayout(Path(tempfile.mkdtemp(prefix="cronharness-kind-ctrd-")))
    check_socket_path(layout.socket)
    layout.config.write_text(
        f'version = 2\nroot = "{root}"\nstate = "{layout.state}"\n'
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
        f'[grpc]\n  address = "{layout.socket}"\n[ttrpc]\n  address = ""\n'
        f'[plugins."io.containerd.internal.v1.opt"]\n  path = "{layout.directory / "opt"}"\n'
    )
    process = ManagedProcess("containerd (kind preload)", layout.directory / "pid", layout.directory / "log")
    process.start(["containerd", f"--config={layout.config}"])
    try:
        wait_until(lambda: ctr(layout.socket, "version").returncode == 0 if layout.socket.exists() else False,
                   timeout=60, what="the preload containerd", describe=lambda: process.log_tail(5))
        for archive in archives:
            # (Debian's ctr 1.6 has no --label to pin them as kind does; the kubelet removes unused
            # images only under disk pressure.)
            ctr(layout.socket, "images", "import", "--all-platforms", "--no-unpack", str(archive), timeout=600)
    finally:
        process.stop()
        shutil.rmtree(layout.directory, ignore_errors=True)


def _build(inputs: _Inputs, name: str, archive: Path) -> None:
    docker_engine.ensure_docker()
    work_parent = cache_root() / "kind"
    work_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_parent, prefix=".node-") as tmp:
        work = Path(tmp)
        context = work / "context"
        shutil.copytree(NODE_CONTEXT, context)
        (context / "rootfs.tar").hardlink_to(inputs.rootfs)
        shutil.copytree(inputs.kind_files, context / "kind-base", symlinks=True)
        etc = context / "node" / "etc"
        (etc / "containerd").mkdir(parents=True)
        (etc / "containerd" / "config.toml").write_text(containerd_config(inputs.pause_name))
        default_spec = json.loads(subprocess.run(["ctr", "oci", "spec"], capture_output=True, text=True,
                                                 check=True).stdout)
        (etc / "containerd" / "cri-base.json").write_text(json.dumps(cri_base_spec(default_spec), indent=2))
        (etc / "cni" / "net.d").mkdir(parents=True)
        (etc / "cni" / "net.d" / "10-cronharness.conflist").write_text(cni_conflist())
        (etc / "sysctl.d").mkdir()
        # Inside the node's own network namespace: pods reach Services through the node.
        (etc / "sysctl.d" / "20-cronharness.conf").write_text("net.ipv4.ip_forward=1\n")
        (context / "node" / "kind" / "manifests").mkdir(parents=True)
        (context / "node" / "kind" / "version").write_text(inputs.version)
        (context / "node" / "kind" / "manifests" / "default-storage.yaml").write_text(inputs.storage_manifest())
        bin_dir = context / "node" / "usr" / "bin"
        bin_dir.mkdir(parents=True)
        for binary in ("kubeadm", "kubelet", "kubectl"):
            shutil.copy2(inputs.binaries[binary], bin_dir / binary)
        base_tag = f"{REPOSITORY}-base:{inputs.key()}"
        with step(f"building the kind node base {base_tag} (docker build)"):
            docker_engine.docker("build", "--network", "none", "--target", "base", "--tag", base_tag,
                                 str(context), timeout=1800)
        with step("building the node's images (control plane, etcd, kube-proxy, pause; add-ons)"):
            archives = _component_archives(inputs, work, base_tag)
        with step(f"importing {len(archives)} images into the node's containerd store"):
            _preload(archives, context / "node" / "var" / "lib" / "containerd")
        with step(f"building the kind node image {name} (docker build)"):
            docker_engine.docker("build", "--network", "none", "--tag", name, str(context), timeout=1800)
            docker_engine.docker("rmi", base_tag, timeout=120)
        with step(f"saving the kind node image to {archive}"):
            partial = archive.with_name(archive.name + ".partial")
            docker_engine.docker("save", "--output", str(partial), name, timeout=1800)
            partial.replace(archive)
