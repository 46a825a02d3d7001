"""What a prod-like stack's pods must also be: restricted, and reachable only through the Ingress controller.

``prod-hardening`` (``hardening.py``) reports these at mandatory level on prod-like stacks only:

- every pod spec runs under the ``RuntimeDefault`` (or a ``Localhost``) seccomp profile, set for the pod or for each
  of its containers (Kubernetes Pod Security Standards, "restricted" profile: ``seccompProfile.type`` must be
  ``RuntimeDefault`` or ``Localhost``);
- every container (init containers included) has ``readOnlyRootFilesystem: true``;
- the pod does not mount a service-account token (``automountServiceAccountToken: false``);
- the pods of every SeldonDeployment componentSpec and KServe InferenceService predictor are selected by a
  NetworkPolicy of their namespace that isolates ingress, and no NetworkPolicy selecting them has a rule that admits
  every source.

Which labels a predictor pod carries is the operator's doing (seldon-core 1.17.1,
``operator/controllers/seldondeployment_controller.go`` ``createDeploymentWithoutEngine``: ``seldon-deployment-id``,
``app`` (the Deployment's name) and ``fluentd`` on the template, lines 989-994; the predictor's ``labels`` and the
componentSpec's ``metadata.labels`` copied on, lines 1041-1051); a NetworkPolicy may select on any of them. A KServe
InferenceService's predictor pods carry the InferenceService's own labels, ``spec.predictor.labels``,
``serving.kserve.io/inferenceservice: <name>`` and ``component: predictor`` (kserve v0.20.0,
``pkg/controller/v1beta1/inferenceservice/components/predictor.go`` ``buildObjectMeta``, lines 498-512).

:func:`tagged_images` feeds ``prod-image-digests`` (advisory, prod-like stacks): a tag can be moved to other content in
the registry, a digest cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from .framework import Res
from .kubernetes import Container, PodSpec, containers, is_kind, is_object, name_of, namespace_of
from .podsecurity import each_pod, pod_label
from .seldon import limit
from .values import dig, entries, guarded, known, mapping, text
from .wiring import predictors, seldon_name_as_prefix
from .workloads import each_container

Finding = tuple[str, str | None]
ALLOWED_SECCOMP = ("RuntimeDefault", "Localhost")
SELDON_ID_LABEL = "seldon-deployment-id"


def _seccomp(context: Mapping[str, Any]) -> str | None:
    return text(dig(context, "seccompProfile", "type"))


def restricted_pod_problems(pod: PodSpec, res: Res) -> Iterator[str]:
    """The seccomp profile of each container (its own, else the pod's) and the service-account token of one pod."""
    where = f"{res.label}: {pod_label(pod)}"
    listed = list(containers(pod))
    pod_profile = _seccomp(mapping(pod.spec.get("securityContext")))
    # A container's own profile overrides the pod's (Kubernetes, "Configure a Security Context for a Pod or Container":
    # container settings "override settings made at the Pod level when there is overlap").
    effective = {c.label: _seccomp(mapping(c.body.get("securityContext"))) or pod_profile for c in listed}
    unconfined = [f"{label} ({profile})" for label, profile in effective.items() if profile not in ALLOWED_SECCOMP]
    if unconfined:
        yield (
            f"{where} runs containers without a RuntimeDefault seccomp profile (pod securityContext.seccompProfile.type "
            f"{pod_profile!r}; effective profile per container: {', '.join(unconfined)}), so every system call is "
            "open to them."
        )
    if known(pod.spec.get("automountServiceAccountToken")) is not False:
        yield (
            f"{where} mounts a service-account token (automountServiceAccountToken is not false): a compromised "
            "container could call the Kubernetes API with it."
        )


def _read_only_root(container: Container, _config: Mapping[str, Any], res: Res) -> Iterator[str]:
    if known(dig(container.body, "securityContext", "readOnlyRootFilesystem")) is not True:
        yield (
            f"{res.label}: {container.label} has a writable root filesystem (securityContext.readOnlyRootFilesystem is "
            "not true); mount an emptyDir where it must write."
        )


@dataclass(frozen=True)
class PredictorPods:
    """The pods of one SeldonDeployment componentSpec, as the operator labels them."""

    namespace: str
    label: str
    labels: dict[str, str]


def predictor_pods(sdep: Res, prefix: bool) -> Iterator[PredictorPods]:
    """The pods of each componentSpec, in the order ``wiring.predictors`` derives their Deployments' names."""
    namespace, name = namespace_of(sdep.props), name_of(sdep.props)
    if name is None:
        return
    deployments = iter(predictors(sdep, prefix))
    for predictor in entries(dig(sdep.props, "spec", "predictors")):
        body = mapping(predictor)
        predictor_name = text(body.get("name")) or ""
        for index, component in enumerate(entries(body.get("componentSpecs"))):
            spec = mapping(component)
            deployment = next(deployments).deployment
            labels = {SELDON_ID_LABEL: limit(name), "app": deployment, "fluentd": "true"}
            for source in (body.get("labels"), dig(spec, "metadata", "labels")):
                labels.update({str(k): str(known(v)) for k, v in mapping(source).items()})
            yield PredictorPods(namespace, f"{sdep.label} predictor {predictor_name!r} componentSpecs[{index}]", labels)


KSERVE_ISVC_LABEL = "serving.kserve.io/inferenceservice"
KSERVE_COMPONENT_LABEL = "component"


def kserve_predictor_pods(isvc: Res) -> Iterator[PredictorPods]:
    """The predictor pods of a KServe InferenceService, as the controller labels them (module doc)."""
    name = name_of(isvc.props)
    if name is None:
        return
    labels: dict[str, str] = {}
    for source in (dig(isvc.props, "metadata", "labels"), dig(isvc.props, "spec", "predictor", "labels")):
        labels.update({str(k): str(known(v)) for k, v in mapping(source).items()})
    labels |= {KSERVE_ISVC_LABEL: name, KSERVE_COMPONENT_LABEL: "predictor"}
    yield PredictorPods(namespace_of(isvc.props), f"{isvc.label} predictor", labels)


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether a ``LabelSelector`` selects pods carrying ``labels`` (an empty selector selects every pod)."""
    for key, value in mapping(selector.get("matchLabels")).items():
        if labels.get(key) != known(value):
            return False
    for expression in entries(selector.get("matchExpressions")):
        body = mapping(expression)
        key, operator = text(body.get("key")) or "", text(body.get("operator"))
        values = [known(v) for v in entries(body.get("values"))]
        present = key in labels
        matched = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(operator or "", False)
        if not matched:
            return False
    return True


def isolates_ingress(policy: Mapping[str, Any]) -> bool:
    """``policyTypes`` holds Ingress, or is unset (then Ingress is always implied: NetworkPolicySpec docs)."""
    types = dig(policy, "spec", "policyTypes")
    return types is None or "Ingress" in [known(t) for t in entries(types)]


def _admits_everyone(policy: Mapping[str, Any]) -> bool:
    return any(not entries(mapping(rule).get("from")) for rule in entries(dig(policy, "spec", "ingress")))


def network_policy_problems(resources: list[Res]) -> Iterator[Finding]:
    """Every SeldonDeployment componentSpec's and InferenceService predictor's pods: isolated for ingress, and not
    opened to every source."""
    policies = [r for r in resources if is_kind(r.type, "NetworkPolicy")]
    prefix = seldon_name_as_prefix(resources)
    for server in resources:
        if is_kind(server.type, "SeldonDeployment"):
            found = partial(predictor_pods, server, prefix)
        elif is_kind(server.type, "InferenceService"):
            found = partial(kserve_predictor_pods, server)
        else:
            continue
        for message in guarded(f"the NetworkPolicies over {server.label}", partial(_covered, found, policies)):
            yield message, server.urn


def _covered(found: Callable[[], Iterator[PredictorPods]], policies: list[Res]) -> Iterator[str]:
    for pods in found():
        selecting = [
            p
            for p in policies
            if namespace_of(p.props) == pods.namespace and selects(mapping(dig(p.props, "spec", "podSelector")), pods.labels)
        ]
        if not any(isolates_ingress(p.props) for p in selecting):
            yield (
                f"{pods.label}: no NetworkPolicy in namespace {pods.namespace!r} selects its pods and isolates ingress, "
                "so any pod in the cluster can reach the model server directly, past the Ingress."
            )
        for policy in selecting:
            if _admits_everyone(policy.props):
                yield f"{pods.label}: {policy.label} has an ingress rule without `from`, which admits every source."


def restricted_problems(resources: list[Res]) -> Iterator[Finding]:
    """What a prod-like stack must not have, for every resource of the stack."""
    for res in resources:
        if is_object(res.type):
            for message in each_pod(res, restricted_pod_problems):
                yield message, res.urn
            for message in each_container(res, {}, _read_only_root):
                yield message, res.urn
    yield from network_policy_problems(resources)


def _tagged(container: Container, _config: Mapping[str, Any], res: Res) -> Iterator[str]:
    image = text(dig(container.body, "image"))
    if image is not None and "@" not in image:
        yield f"{res.label}: {container.label} names its image {image!r} by tag, not by digest (name@sha256:...)."


def tagged_images(resources: list[Res]) -> Iterator[Finding]:
    """Every image of the stack named by tag rather than digest (containers, and ECI ImageCaches)."""
    for res in resources:
        if is_object(res.type):
            for message in each_container(res, {}, _tagged):
                yield message, res.urn
        if is_kind(res.type, "ImageCache"):
            for message in guarded(f"the images of {res.label}", partial(_cached_tags, res)):
                yield message, res.urn


def _cached_tags(res: Res) -> Iterator[str]:
    for index, image in enumerate(entries(dig(res.props, "spec", "images"))):
        name = text(image)
        if name is not None and "@" not in name:
            yield f"{res.label}: spec.images[{index}] {name!r} is named by tag, not by digest."
