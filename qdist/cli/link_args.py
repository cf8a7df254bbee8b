"""The link-model flags shared by ``simulate``, ``curves`` and ``train`` ([link models][link-models]).

    --link-loss P  --link-noise KIND:P[,KIND:P…] (repeatable)  --transport direct|teleport
    --ebit-fidelity F  --link-latency S  --link-bandwidth BITS_PER_S

Every hop of the network gets the same [`Link`][qdist.network.links.Link]; a bad value is a
one-line ``ValueError`` naming the flag (exit code 2).
"""

from __future__ import annotations

import argparse

from qdist.cli.args import parse_float
from qdist.network.links import (
    IDEAL,
    Link,
    Links,
    check_bandwidth,
    check_fidelity,
    check_latency,
    check_loss,
    check_transport,
)
from qdist.sim.channels import KINDS, parse_channel

#: the flags, for messages that name them
LINK_FLAGS = (
    "--link-loss",
    "--link-noise",
    "--transport",
    "--ebit-fidelity",
    "--link-latency",
    "--link-bandwidth",
)


def add_link_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the link flags to ``parser`` (values are parsed by `links_from_args`)."""
    g = parser.add_argument_group("links (every hop; see docs/concepts/links.md)")
    g.add_argument(
        "--link-loss", dest="link_loss", default="0", help="heralded loss probability p ∈ [0, 1) (default 0)"
    )
    g.add_argument(
        "--link-noise",
        dest="link_noise",
        action="append",
        default=None,
        help=f"KIND:P on every delivered qubit, KIND one of {', '.join(KINDS)}; repeatable or comma-separated",
    )
    g.add_argument("--transport", default="direct", help="direct | teleport (default direct)")
    g.add_argument(
        "--ebit-fidelity",
        dest="ebit_fidelity",
        default="1",
        help="Werner-pair fidelity F ∈ [0.25, 1] (default 1)",
    )
    g.add_argument("--link-latency", dest="link_latency", default="0", help="seconds per hop (default 0)")
    g.add_argument(
        "--link-bandwidth",
        dest="link_bandwidth",
        default=None,
        help="classical bits per second (default unlimited)",
    )


def links_from_args(args) -> Links:
    """The [`Links`][qdist.network.links.Links] of the parsed flags (every hop alike)."""
    noise = []
    for item in getattr(args, "link_noise", None) or ():
        parts = [p.strip() for p in str(item).split(",") if p.strip()]
        if not parts:
            raise ValueError(f"--link-noise: expected KIND:P, got {item!r}")
        noise += [parse_channel(p, "--link-noise") for p in parts]
    loss = check_loss(parse_float(args.link_loss, "--link-loss"), "--link-loss")
    transport = check_transport(args.transport, "--transport")
    fidelity = check_fidelity(parse_float(args.ebit_fidelity, "--ebit-fidelity"), "--ebit-fidelity")
    latency = check_latency(parse_float(args.link_latency, "--link-latency"), "--link-latency")
    bw = args.link_bandwidth
    bandwidth = (
        None if bw is None else check_bandwidth(parse_float(bw, "--link-bandwidth"), "--link-bandwidth")
    )
    if fidelity < 1.0 and transport != "teleport":
        raise ValueError(
            f"--ebit-fidelity: F = {fidelity:g} needs --transport teleport (direct links use no ebits)"
        )
    try:
        link = Link(loss, tuple(noise), latency, bandwidth, transport, fidelity)
    except ValueError as exc:  # the only cross-field rule: amplitude damping on a teleport link
        raise ValueError(f"--link-noise: {str(exc).partition(': ')[2]}") from None
    links = Links.uniform(link)
    return IDEAL if links.ideal else links


__all__ = ["LINK_FLAGS", "add_link_arguments", "links_from_args"]
