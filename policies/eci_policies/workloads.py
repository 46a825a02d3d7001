"""Container policies: every pod spec of every Kubernetes object (SeldonDeployment componentSpecs included)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any

from pulumi_policy import EnforcementLevel

from .framework import ADVISORY, MANDATORY, PackResourcePolicy, Res
from .kubernetes import Container, containers, is_kind, is_object, pod_specs
from .values import NotKnown, Unknown, could_not_check, dig, entries, guarded, known, mapping, quantity_key, text, whole

GPU = "nvidia.com/gpu"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")

ContainerCheck = Callable[[Container, Mapping[str, Any], Res], Iterable[str]]


def each_container(res: Res, config: Mapping[str, Any], check: ContainerCheck) -> Iterator[str]:
    """Run ``check`` on every container; an unknown pod spec, container list or field is a "could not check"."""
    for found in pod_specs(res.props):
        if isinstance(found, Unknown):
            yield could_not_check(f"the containers of {res.label}", found.path)
            continue
        try:
            listed = list(containers(found))
        except NotKnown as unknown:
            yield could_not_check(f"the containers of {res.label}", unknown.path)
            continue
        for item in listed:
            yield from guarded(f"{item.label} of {res.label}", partial(check, item, config, res))


def container_policy(
    *,
    name: str,
    description: str,
    level: EnforcementLevel,
    check: ContainerCheck,
    remediation: str,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> PackResourcePolicy:
    return PackResourcePolicy(
        name=name,
        description=description,
        level=level,
        applies=is_object,
        check=lambda res, cfg: each_container(res, cfg, check),
        remediation=remediation,
        config=config,
    )


def _requests(container: Container, _config: Mapping[str, Any], res: Res) -> Iterator[str]:
    requests = mapping(dig(container.body, "resources", "requests"))
    missing = [key for key in ("cpu", "memory") if known(requests.get(key)) in (None, "")]
    if missing:
        yield (
            f"{res.label}: {container.label} sets no {' or '.join(missing)} request; ECI sizes the instance and the "
            "scheduler places the pod from requests."
        )


container_resource_requests = container_policy(
    name="container-resource-requests",
    description=(
        "Every container sets CPU and memory requests (ECI picks the instance from them). Fix: set "
        "resources.requests.cpu and resources.requests.memory on each container, including SeldonDeployment "
        "componentSpecs (model config cpu/memory, proxyCpu/proxyMemory)."
    ),
    level=MANDATORY,
    check=_requests,
    remediation="Add resources.requests.cpu and resources.requests.memory to each container.",
)


def _gpu(container: Container, _config: Mapping[str, Any], res: Res) -> Iterator[str]:
    requests = mapping(dig(container.body, "resources", "requests"))
    limits = mapping(dig(container.body, "resources", "limits"))
    request, limit = known(requests.get(GPU)), known(limits.get(GPU))
    if request is None and limit is None:
        return
    if request is None:
        yield f"{res.label}: {container.label} sets {GPU} in limits ({limit}) but not in requests."
    elif limit is None:
        yield f"{res.label}: {container.label} sets {GPU} in requests ({request}) but not in limits."
    elif quantity_key(request) != quantity_key(limit):
        yield f"{res.label}: {container.label} requests {request} {GPU} but limits {limit}; they must be equal."


gpu_requests_equal_limits = container_policy(
    name="gpu-requests-equal-limits",
    description=(
        f"A GPU container sets {GPU} in both requests and limits, with the same value (GPUs cannot be overcommitted, "
        f"and ECI sizes the GPU instance from them). Fix: resources.requests['{GPU}'] = resources.limits['{GPU}']."
    ),
    level=MANDATORY,
    check=_gpu,
    remediation=f"Set resources.requests and resources.limits '{GPU}' to the same whole number.",
)


def image_problem(image: str, require_digest: bool) -> str | None:
    """Why an image reference is not pinned, or None."""
    name, _, digest = image.partition("@")
    if digest:
        return None if DIGEST.match(digest) else f"has a malformed digest {digest!r} (expected sha256:<64 hex>)"
    if require_digest:
        return "is not pinned by digest (@sha256:...) and requireDigest is set"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag, so it means :latest"
    tag = last.split(":", 1)[1]
    if tag == "latest":
        return "uses the :latest tag"
    if not tag:
        return "has an empty tag"
    return None


def _image(container: Container, config: Mapping[str, Any], res: Res) -> Iterator[str]:
    image = text(dig(container.body, "image"))
    if image is None:
        if not is_kind(res.type, "SeldonDeployment"):  # Seldon fills in images of prepackaged servers itself
            yield f"{res.label}: {container.label} sets no image."
        return
    problem = image_problem(image, bool(config.get("requireDigest")))
    if problem is not None:
        yield f"{res.label}: {container.label} image {image!r} {problem}."


def _images(res: Res, config: Mapping[str, Any]) -> Iterator[str]:
    yield from each_container(res, config, _image)
    if is_kind(res.type, "ImageCache"):  # ECI image caches: what ECI pods start from instead of pulling
        for index, image in enumerate(entries(dig(res.props, "spec", "images"))):
            where = f"{res.label}: spec.images[{index}]"
            yield from guarded(where, partial(_cached_image, where, image, config))


def _cached_image(where: str, image: Any, config: Mapping[str, Any]) -> Iterator[str]:
    name = text(image)
    problem = "is not a string" if name is None else image_problem(name, bool(config.get("requireDigest")))
    if problem is not None:
        yield f"{where} {image!r} {problem}."


image_pinned = PackResourcePolicy(
    name="image-pinned",
    applies=is_object,
    description=(
        "Container images are pinned: an explicit tag other than latest, or a digest. A floating tag changes what "
        "runs without a change in the stack. Fix: use repo/name:<version> (or repo/name@sha256:<digest>)."
    ),
    level=MANDATORY,
    check=_images,
    remediation="Give each image an explicit version tag (proxyImage/servingImage in the stack config) or a digest.",
    config={
        "requireDigest": {
            "type": "boolean",
            "default": False,
            "description": "Require every image to be pinned by digest (@sha256:...), not only by tag.",
        }
    },
)


def non_root_problems(container: Container, _config: Mapping[str, Any], res: Res) -> Iterator[str]:
    pod_context = mapping(dig(container.pod.spec, "securityContext"))
    context = mapping(dig(container.body, "securityContext"))
    user_value = context.get("runAsUser") if "runAsUser" in context else pod_context.get("runAsUser")
    user = whole(user_value) if user_value is not None else None
    non_root = known(context.get("runAsNonRoot") if "runAsNonRoot" in context else pod_context.get("runAsNonRoot"))
    if user == 0:
        yield f"{res.label}: {container.label} runs as root (runAsUser: 0)."
    elif user is None and non_root is not True:
        yield (
            f"{res.label}: {container.label} sets neither runAsNonRoot: true nor a non-zero runAsUser, so it runs as the "
            "image's user, often root."
        )


containers_non_root = container_policy(
    name="containers-non-root",
    description=(
        "Containers do not run as root. Fix: set securityContext.runAsNonRoot: true and a non-zero runAsUser on the "
        "container (or the pod), plus allowPrivilegeEscalation: false."
    ),
    level=ADVISORY,
    check=non_root_problems,
    remediation="securityContext: {runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false}.",
)
