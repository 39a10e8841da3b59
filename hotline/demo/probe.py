"""Is a SIP agent answering? One OPTIONS request over UDP, as SIP monitoring tools send.

``hotline serve`` uses it to know when its agent is up, ``hotline demo-call`` to
wait for the hotline before dialling. Any SIP response counts: even a 403 means
an agent is there.
"""
from __future__ import annotations

import socket
import time
import uuid


class AgentUnreachable(Exception):
    """Nothing answers SIP at the address."""


def probe_agent(host: str, port: int, timeout: float = 1.0) -> int | None:
    """Send SIP OPTIONS over UDP; the response's status code, or None when nothing answers."""
    try:
        local_host, local_port, sock = udp_socket_towards(host, port)
    except OSError:  # unknown host, no route
        return None
    call_id = uuid.uuid4().hex
    request = (
        f"OPTIONS sip:hotline@{uri_host(host)}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {uri_host(local_host)}:{local_port};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:probe@{uri_host(local_host)}>;tag={uuid.uuid4().hex[:8]}\r\n"
        f"To: <sip:hotline@{uri_host(host)}>\r\n"
        f"Call-ID: {call_id}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    with sock:
        sock.settimeout(timeout)
        try:
            sock.send(request.encode())
            while True:
                reply = sock.recv(65535).decode(errors="replace")
                if call_id in reply and reply.startswith("SIP/2.0 "):
                    return int(reply.split()[1])
        except (OSError, ValueError, IndexError):  # refused, timed out, or not SIP
            return None


def wait_for_agent(host: str, port: int, timeout: float) -> None:
    """Return once a SIP agent answers at host:port; :class:`AgentUnreachable` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while probe_agent(host, port, timeout=min(1.0, max(0.1, deadline - time.monotonic()))) is None:
        if time.monotonic() >= deadline:
            raise AgentUnreachable(f"no SIP agent answers at sip:hotline@{uri_host(host)}:{port}")
        time.sleep(0.25)


def udp_socket_towards(host: str, port: int) -> tuple[str, int, socket.socket]:
    """A UDP socket connected to host:port, with the local address the system routes it from."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.connect((host, port))
    except OSError:
        sock.close()
        raise
    local_host, local_port = sock.getsockname()[:2]
    return local_host, local_port, sock


def uri_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
