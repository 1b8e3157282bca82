"""nginx in front of the workers, on loopback, as `docs/deploy/nginx-binhyen.conf` sets it up:
the site the operator copies, with a throwaway TLS authority and certificate instead of
Let's Encrypt's, the workers' ports in its upstream and its logs in a scratch directory. For
the tests (`tests/e2e/test_workers.py`, `tests/unit/test_deploy_guide.py`) and `make
bench-workers`.

nginx is Debian's package: found where it is installed, else installed once with apt-get when
this is root on Debian (no service started by the install); else `nginx_binary` says in one
line why there is none, and the caller skips.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "docs" / "deploy" / "nginx-binhyen.conf"
LIVE = "/etc/letsencrypt/live/binhyen.example.vn/"
SBIN = "/usr/sbin:/sbin:/usr/bin"


class NoNginx(Exception):
    """Why there is no nginx here (one line)."""


@contextlib.contextmanager
def _services_kept_down() -> Iterator[None]:
    """Debian's maintainer scripts start a freshly installed nginx (on port 80) unless
    policy-rc.d says no: say no for the length of the install, where nobody has said it."""
    policy = Path("/usr/sbin/policy-rc.d")
    if policy.exists():
        yield
        return
    policy.write_text("#!/bin/sh\n# tests/proxy.py: no service starts during the install\n"
                      "exit 101\n", encoding="utf-8")
    policy.chmod(0o755)
    try:
        yield
    finally:
        policy.unlink(missing_ok=True)


def _apt(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", "-q", "-y", "-o", "DPkg::Lock::Timeout=60", *args], capture_output=True,
        text=True, timeout=timeout, check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def nginx_binary() -> str:
    """The nginx program: found, or installed (Debian's `nginx-light`, else `nginx`) as root
    with apt-get; `NoNginx` says why not."""
    found = shutil.which("nginx") or shutil.which("nginx", path=SBIN)
    if found:
        return found
    if os.name != "posix" or os.geteuid() != 0:
        raise NoNginx("nginx is not installed and this is not root")
    if shutil.which("apt-get") is None:
        raise NoNginx("nginx is not installed and there is no apt-get")
    done = None
    try:
        with _services_kept_down():
            for package in ("nginx-light", "nginx"):
                done = _apt("install", "--no-install-recommends", package, timeout=300)
                if done.returncode != 0 and "Unable to locate" in done.stderr:
                    _apt("update", timeout=180)
                    done = _apt("install", "--no-install-recommends", package, timeout=300)
                found = shutil.which("nginx", path=SBIN)
                if found:
                    return found
    except subprocess.TimeoutExpired:
        raise NoNginx("installing nginx with apt-get took over 5 minutes") from None
    reason = (done.stderr.strip().splitlines() or ["no reason given"])[-1] if done else "?"
    raise NoNginx(f"apt-get could not install nginx ({reason})")


@dataclass(frozen=True)
class Tls:
    """A throwaway authority (`ca`) and the certificate it signed for 127.0.0.1 and
    localhost (`cert`, `key`): PEM files."""

    ca: Path
    cert: Path
    key: Path


def throwaway_tls(directory: Path) -> Tls:
    """Made fresh, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Bình Yên test CA"))
          .issuer_name(name("Bình Yên test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(
              digital_signature=True, key_cert_sign=True, crl_sign=True,
              content_commitment=False, key_encipherment=False, data_encipherment=False,
              key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name("127.0.0.1"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .sign(ca_key, hashes.SHA256()))
    tls = Tls(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    tls.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    tls.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key.write_bytes(pem(key))
    tls.key.chmod(0o600)
    return tls


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def site(directory: Path, tls: Tls, workers: list[int], https_port: int, http_port: int) -> str:
    """The shipped site, changed only where a machine differs: certificate, logs, the
    workers' ports, and loopback ports instead of 80 and 443."""
    text = SITE.read_text(encoding="utf-8")
    assert LIVE + "fullchain.pem" in text and LIVE + "privkey.pem" in text
    text = (text.replace(LIVE + "fullchain.pem", str(tls.cert))
            .replace(LIVE + "privkey.pem", str(tls.key))
            .replace("/var/log/nginx/", f"{directory}/"))
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;\n"
                      for port in workers)
    text, count = re.subn(r"(upstream binhyen_workers \{\n(?:\s*#.*\n)*)(?:\s*server .*\n)+",
                          lambda m: m.group(1) + servers, text)
    assert count == 1, "the upstream block of nginx-binhyen.conf changed shape"
    text = re.sub(r"^\s*listen \[::\]:\d+.*\n", "", text, flags=re.MULTILINE)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
    return text


def write_config(directory: Path, site_text: str) -> Path:
    """A whole nginx.conf around the site, everything nginx writes kept in `directory`."""
    (directory / "site.conf").write_text(site_text, encoding="utf-8")
    temp = directory / "temp"
    temp.mkdir(exist_ok=True)
    conf = directory / "nginx.conf"
    # as root, nginx's workers would run as `nobody`, who may not read a scratch directory
    user = "user root;\n" if os.name == "posix" and os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}pid {directory}/nginx.pid;\nerror_log {directory}/error.log;\n"
        f"worker_processes 1;\n"
        f"events {{ worker_connections 1024; }}\nhttp {{\n    access_log off;\n"
        f"    client_body_temp_path {temp}/body;\n    proxy_temp_path {temp}/proxy;\n"
        f"    fastcgi_temp_path {temp}/fastcgi;\n    uwsgi_temp_path {temp}/uwsgi;\n"
        f"    scgi_temp_path {temp}/scgi;\n"
        f"    include {directory}/site.conf;\n}}\n", encoding="utf-8")
    return conf


@dataclass
class Proxy:
    """A running nginx: `url` is its HTTPS address."""

    process: subprocess.Popen[bytes]
    url: str
    directory: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def start_proxy(nginx: str, directory: Path, tls: Tls, workers: list[int]) -> Proxy:
    """nginx in the foreground, in front of `workers` (their ports); waits until it listens."""
    https_port, http_port = free_port(), free_port()
    conf = write_config(directory, site(directory, tls, workers, https_port, http_port))
    process = subprocess.Popen([nginx, "-p", f"{directory}/", "-e", str(directory / "error.log"),
                                "-c", str(conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    proxy = Proxy(process, f"https://127.0.0.1:{https_port}", directory)
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"nginx did not start: {proxy.log()[-1000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", https_port)) == 0:
                return proxy
        time.sleep(0.05)
    proxy.stop()
    raise RuntimeError("nginx did not listen within 10 s")
