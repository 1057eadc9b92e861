"""Images through a registry: reference logic, where each provider puts a job image, the registry's port, and
the local cluster's containerd registry configuration (plain HTTP to the loopback registry)."""

from __future__ import annotations

import dataclasses
import http.server
import threading
import tomllib
from pathlib import Path

import pytest
import yaml

from harness.cluster.containerd import ContainerdLayout, registry_hosts_toml, render_config, write_registry_host
from harness.cluster.existing import ExistingCluster
from harness.cluster.kind import KindCluster
from harness.cluster.local import LocalCluster
from harness.cluster.local_config import LocalLayout
from harness.deploy import image_values
from harness.errors import HarnessError
from harness.images.reference import ImageRef, built_image, job_repository, registry_address
from harness.registry import Registry, has_image, push_archive, registry_port

KEY = "0123456789ab"
BUILT = built_image(job_repository("rucio-daily"), KEY)


# --- references ----------------------------------------------------------------------------------
def test_job_images_are_built_under_localhost_with_their_content_key_as_tag() -> None:
    assert ImageRef("localhost", "cronharness/jobs/rucio-daily", KEY) == BUILT
    assert str(BUILT) == f"localhost/cronharness/jobs/rucio-daily:{KEY}"


def test_a_registry_keeps_repository_and_tag() -> None:
    moved = BUILT.in_registry("127.0.0.1:5000")
    assert str(moved) == f"127.0.0.1:5000/cronharness/jobs/rucio-daily:{KEY}"
    assert moved.values() == {"registry": "127.0.0.1:5000", "repository": "cronharness/jobs/rucio-daily", "tag": KEY}
    assert (moved.host, moved.remote_name) == ("127.0.0.1:5000", "cronharness/jobs/rucio-daily")


def test_a_registry_with_a_path_prefix() -> None:
    moved = BUILT.in_registry("oci://registry.example.org:443/team/")
    assert str(moved) == f"registry.example.org:443/team/cronharness/jobs/rucio-daily:{KEY}"
    assert (moved.host, moved.remote_name) == ("registry.example.org:443", "team/cronharness/jobs/rucio-daily")


@pytest.mark.parametrize(("registry", "loopback"), [
    ("127.0.0.1:5000", True), ("127.0.0.2:5000/x", True), ("localhost:5000", True), ("localhost", True),
    ("[::1]:5000", True), ("registry.example.org", False), ("10.0.0.5:5000", False), ("127.example.org", False),
])
def test_only_loopback_registries_are_spoken_to_in_plain_http(registry: str, loopback: bool) -> None:
    assert BUILT.in_registry(registry).on_loopback is loopback


@pytest.mark.parametrize("bad", ["", "  ", "http://127.0.0.1:5000", "https://registry.example.org", "/path", "a b"])
def test_registry_given_with_a_scheme_or_empty_says_the_form(bad: str) -> None:
    with pytest.raises(HarnessError, match=r"give it as host\[:port\]\[/path\], e\.g\. 127\.0\.0\.1:5000"):
        registry_address(bad)


@pytest.mark.parametrize(("repository", "tag"), [("localhost", KEY), ("localhost/Jobs/x", KEY), ("localhost/x", ":no")])
def test_invalid_image_names_are_refused(repository: str, tag: str) -> None:
    with pytest.raises(HarnessError, match=r"expected <registry>/<lower-case path>:<tag>"):
        built_image(repository, tag)


def test_chart_values_point_at_the_image_and_override_an_environments_registry() -> None:
    ref = BUILT.in_registry("127.0.0.1:5000")
    assert image_values(ref) == {
        "image": {"registry": "127.0.0.1:5000", "repository": "cronharness/jobs/rucio-daily", "tag": KEY,
                  "pullPolicy": "IfNotPresent"},
        "global": {"imageRegistry": ""},
    }


# --- providers -----------------------------------------------------------------------------------
@pytest.fixture
def pushed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, ImageRef]]:
    calls: list[tuple[Path, ImageRef]] = []
    for module in ("harness.cluster.existing", "harness.cluster.local"):
        monkeypatch.setattr(f"{module}.push_archive", lambda archive, ref: calls.append((archive, ref)))
    return calls


def test_existing_without_a_registry_says_what_to_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_REGISTRY", raising=False)
    with pytest.raises(HarnessError) as raised:
        ExistingCluster(Path("kubeconfig")).load_image(Path("image.tar"), BUILT)
    assert str(raised.value) == (
        f"cannot give image {BUILT} to an existing cluster without a registry: pass --registry host[:port][/path] "
        "(or set HARNESS_REGISTRY) naming a registry this machine can push to and the cluster's nodes pull from; "
        f"the image is pushed there as <registry>/cronharness/jobs/rucio-daily:{KEY}"
    )


def test_existing_pushes_to_the_registry_given(pushed: list[tuple[Path, ImageRef]],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_REGISTRY", "registry.example.org/cms")
    by_env = ExistingCluster(Path("kubeconfig")).load_image(Path("image.tar"), BUILT)
    by_flag = ExistingCluster(Path("kubeconfig"), registry="127.0.0.1:5123").load_image(Path("image.tar"), BUILT)
    assert str(by_env) == f"registry.example.org/cms/cronharness/jobs/rucio-daily:{KEY}"
    assert str(by_flag) == f"127.0.0.1:5123/cronharness/jobs/rucio-daily:{KEY}"
    assert pushed == [(Path("image.tar"), by_env), (Path("image.tar"), by_flag)]


def test_kind_loads_into_its_nodes_under_the_built_name(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []

    def kind(self: KindCluster, *args: str, **kw: object) -> str:
        calls.append(args)
        return ""

    monkeypatch.setattr(KindCluster, "_kind", kind)
    assert KindCluster().load_image(Path("/cache/x.tar"), BUILT) == BUILT
    assert calls == [("load", "image-archive", "/cache/x.tar", "--name", "cronharness")]


def test_local_pushes_to_its_registry_and_tells_containerd_it_is_plain_http(
    tmp_path: Path, pushed: list[tuple[Path, ImageRef]], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = Registry(root=tmp_path / "registry", port=5123)
    monkeypatch.setattr(registry, "start", lambda: None)
    local = LocalCluster(LocalLayout(tmp_path / "cluster"), registry=registry)
    ref = local.load_image(Path("image.tar"), BUILT)
    assert str(ref) == f"127.0.0.1:5123/cronharness/jobs/rucio-daily:{KEY}"
    assert pushed == [(Path("image.tar"), ref)]
    hosts = tmp_path / "cluster" / "containerd" / "certs.d" / "127.0.0.1:5123" / "hosts.toml"
    assert tomllib.loads(hosts.read_text())["server"] == "http://127.0.0.1:5123"


def test_a_present_manifest_is_asked_for_at_the_registry_api_path() -> None:
    """has_image asks ``HEAD /v2/<path prefix>/<repository>/manifests/<tag>`` (a stand-in registry answers)."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            asked.append(self.path)
            self.send_response(200 if self.path.endswith(f"/manifests/{KEY}") else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        at = f"127.0.0.1:{server.server_address[1]}/prefix"
        assert has_image(BUILT.in_registry(at))
        assert not has_image(dataclasses.replace(BUILT, tag="ffffffffffff").in_registry(at))
    finally:
        server.shutdown()
    assert asked == [f"/v2/prefix/cronharness/jobs/rucio-daily/manifests/{KEY}",
                     "/v2/prefix/cronharness/jobs/rucio-daily/manifests/ffffffffffff"]


def test_push_of_a_missing_archive_says_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"image archive .*nope\.tar does not exist; build it with build_job_image"):
        push_archive(tmp_path / "nope.tar", BUILT.in_registry("127.0.0.1:5123"))


# --- the registry --------------------------------------------------------------------------------
def test_registry_port_is_fixed_and_configurable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HARNESS_REGISTRY_PORT", raising=False)
    monkeypatch.setenv("HARNESS_STATE_DIR", str(tmp_path))
    assert registry_port() == 5000
    machine = Registry()
    assert (machine.root, machine.address) == (tmp_path / "registry", "127.0.0.1:5000")
    monkeypatch.setenv("HARNESS_REGISTRY_PORT", "5999")
    assert Registry().address == "127.0.0.1:5999"
    # a port saved by an earlier start does not override the configured one
    (tmp_path / "registry" / "ports.json").parent.mkdir(parents=True)
    (tmp_path / "registry" / "ports.json").write_text('{"http": 24000}')
    assert Registry().address == "127.0.0.1:5999"
    # a registry on a free port (port 0) keeps the one its first start chose
    assert Registry(root=tmp_path / "registry", port=0).address == "127.0.0.1:24000"
    monkeypatch.setenv("HARNESS_REGISTRY_PORT", "http")
    with pytest.raises(HarnessError, match=r"HARNESS_REGISTRY_PORT='http' is not a TCP port"):
        registry_port()


def test_a_registry_with_users_requires_them_and_counts_a_401_as_up(tmp_path: Path) -> None:
    """The config names the users file; /v2/ answering 401 (no credentials sent) means the registry is up.
    A local HTTP server stands in for the registry (no docker-registry needed)."""
    class Refusing(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="cronharness"')
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (tmp_path / "secure").mkdir()
        (tmp_path / "open").mkdir()
        secure = Registry(root=tmp_path / "secure", port=server.server_address[1], htpasswd=tmp_path / "users")
        config = yaml.safe_load(Path(secure._config()).read_text())
        assert config["auth"] == {"htpasswd": {"realm": "cronharness", "path": str(tmp_path / "users")}}
        assert secure.healthy()
        open_one = Registry(root=tmp_path / "open", port=server.server_address[1])
        assert "auth" not in yaml.safe_load(Path(open_one._config()).read_text())
        assert not open_one.healthy()  # without users a 401 is not this registry answering
    finally:
        server.shutdown()


def test_a_second_local_cluster_has_its_own_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_STATE_DIR", str(tmp_path / "state"))
    assert LocalCluster().registry.root == tmp_path / "state" / "registry"
    assert LocalCluster(LocalLayout(tmp_path / "second")).registry.root == tmp_path / "second" / "registry"


# --- containerd ----------------------------------------------------------------------------------
def test_containerd_reads_registry_hosts_from_its_own_directory(tmp_path: Path) -> None:
    layout = ContainerdLayout(tmp_path / "containerd")
    config = tomllib.loads(render_config(layout, sandbox_image="cronharness.local/pause:1",
                                         cni_bin_dir=Path("/usr/lib/cni"), cni_conf_dir=tmp_path / "net.d"))
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    # config_path only: containerd refuses it together with the deprecated mirrors/configs tables
    assert cri["registry"] == {"config_path": str(tmp_path / "containerd" / "certs.d")}


def test_registry_hosts_file_is_plain_http_pull_and_resolve(tmp_path: Path) -> None:
    assert tomllib.loads(registry_hosts_toml("127.0.0.1:5000")) == {
        "server": "http://127.0.0.1:5000",
        "host": {"http://127.0.0.1:5000": {"capabilities": ["pull", "resolve"]}},
    }
    layout = ContainerdLayout(tmp_path)
    written = write_registry_host(layout, "127.0.0.1:5000")
    # containerd 1.6 looks for <config_path>/<host:port>/hosts.toml
    assert written == tmp_path / "certs.d" / "127.0.0.1:5000" / "hosts.toml"
    assert written.read_text() == registry_hosts_toml("127.0.0.1:5000")
