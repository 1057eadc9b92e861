"""Certificates and keys of the local cluster: one CA, a serving or client pair per component.

Every identity is what the apiserver's Node and RBAC authorizers expect (the Common Name is the user,
Organizations are the groups), so the built-in bootstrap ClusterRoles and bindings apply unchanged:
the admin is in ``system:masters``, the kubelet is ``system:node:<node>`` in ``system:nodes``, the
controller-manager, scheduler and kube-proxy use their ``system:kube-*`` users. Keys are ECDSA P-256 (fast to
make, accepted by every component, including for service-account token signing).
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_CA_DAYS = 3650
_LEAF_DAYS = 365


@dataclass(frozen=True)
class CertSpec:
    """One certificate to issue from the cluster CA.

    Attributes:
        name: file stem (``<name>.crt`` / ``<name>.key``).
        common_name: the user name the apiserver sees (or the server's name).
        groups: Organizations, i.e. the user's groups.
        server: a serving certificate (True) or a client one (False).
        dns_names: DNS subject alternative names (serving certificates).
        ips: IP subject alternative names (serving certificates).
    """

    name: str
    common_name: str
    groups: tuple[str, ...] = ()
    server: bool = False
    dns_names: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pki:
    """Paths of the cluster's CA, issued pairs and service-account key pair."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def sa_private(self) -> Path:
        return self.directory / "sa.key"

    @property
    def sa_public(self) -> Path:
        return self.directory / "sa.pub"

    def cert(self, name: str) -> Path:
        return self.directory / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.directory / f"{name}.key"


def cluster_cert_specs(node_name: str, service_ip: str) -> list[CertSpec]:
    """The certificates the local cluster needs.

    Args:
        node_name: the kubelet's node name (its client identity is ``system:node:<node_name>``).
        service_ip: first address of the service CIDR, the ``kubernetes`` Service's ClusterIP.

    Returns:
        One spec per certificate.
    """
    apiserver_dns = (
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    )
    return [
        CertSpec("apiserver", "kube-apiserver", server=True, dns_names=apiserver_dns,
                 ips=("127.0.0.1", service_ip)),
        # The apiserver's identity towards kubelets (logs, exec); the kubelet authorizes it by webhook.
        CertSpec("apiserver-kubelet-client", "kube-apiserver-kubelet-client", groups=("system:masters",)),
        CertSpec("admin", "cronharness-admin", groups=("system:masters",)),
        CertSpec("controller-manager", "system:kube-controller-manager"),
        CertSpec("scheduler", "system:kube-scheduler"),
        # The bootstrap ClusterRoleBinding system:node-proxier grants this user what kube-proxy reads.
        CertSpec("kube-proxy", "system:kube-proxy"),
        CertSpec("kubelet-client", f"system:node:{node_name}", groups=("system:nodes",)),
        CertSpec("kubelet-serving", f"system:node:{node_name}", groups=("system:nodes",), server=True,
                 dns_names=("localhost",), ips=("127.0.0.1",)),
        CertSpec("controller-manager-serving", "kube-controller-manager", server=True,
                 dns_names=("localhost",), ips=("127.0.0.1",)),
        CertSpec("scheduler-serving", "kube-scheduler", server=True,
                 dns_names=("localhost",), ips=("127.0.0.1",)),
        CertSpec("etcd-server", "etcd", server=True, dns_names=("localhost",), ips=("127.0.0.1",)),
        CertSpec("apiserver-etcd-client", "kube-apiserver-etcd-client"),
    ]


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} is not an ECDSA key")
    return key


def _name(common_name: str, groups: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, group) for group in groups]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _make_ca(pki: Pki) -> None:
    key = _new_key()
    now = datetime.datetime.now(datetime.UTC)
    name = _name("cronharness-local-ca")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_key(pki.ca_key, key)
    pki.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _issue(pki: Pki, spec: CertSpec) -> None:
    ca_key = _load_key(pki.ca_key)
    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    key = _new_key()
    now = datetime.datetime.now(datetime.UTC)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if spec.server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(spec.common_name, spec.groups))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_encipherment=False, key_cert_sign=False, crl_sign=False,
                content_commitment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    sans: list[x509.GeneralName] = [x509.DNSName(dns) for dns in spec.dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in spec.ips]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    _write_key(pki.key(spec.name), key)
    pki.cert(spec.name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _make_service_account_keys(pki: Pki) -> None:
    key = _new_key()
    _write_key(pki.sa_private, key)
    pki.sa_public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def ensure_pki(directory: Path, specs: list[CertSpec]) -> Pki:
    """Create whatever of the CA, the issued pairs and the service-account keys is missing.

    Existing files are kept, so a restarted cluster keeps trusting the tokens and kubeconfigs it
    handed out; deleting the directory (``harness cluster down --purge``) starts afresh.

    Args:
        directory: where the PEM files live (created, mode 0700).
        specs: the certificates to issue (see :func:`cluster_cert_specs`).

    Returns:
        The paths of everything in ``directory``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    pki = Pki(directory)
    if not (pki.ca_cert.exists() and pki.ca_key.exists()):
        _make_ca(pki)
    for spec in specs:
        if not (pki.cert(spec.name).exists() and pki.key(spec.name).exists()):
            _issue(pki, spec)
    if not (pki.sa_private.exists() and pki.sa_public.exists()):
        _make_service_account_keys(pki)
    return pki
