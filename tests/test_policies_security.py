"""The security checks of the policy pack (issue 8, point 8): literal credentials in container env, privileged
containers, host namespaces, hostPath volumes, LoadBalancer Services, OSS public access and anonymous bucket
policies, the HPA capacity check in resourcePolicy mode, and TLS plus non-root made mandatory on prod-like stacks.

Every resource here is built by hand as the engine would hand it over (``tests/policy_helpers.py``), so these tests do
not run the program."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from policies.eci_policies import (
    POLICIES,
    RESOURCE_POLICIES,
    STACK_POLICIES,
    PackResourcePolicy,
    PackStackPolicy,
    autoscaling,
    credentials,
    hardening,
    podsecurity,
    storage,
)
from tests.policy_helpers import UNKNOWN, check, check_stack, policy_resource, resource_args

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
POD = "kubernetes:core/v1:Pod"
PV = "kubernetes:core/v1:PersistentVolume"
SERVICE = "kubernetes:core/v1:Service"
SECRET = "kubernetes:core/v1:Secret"
SDEP = "kubernetes:machinelearning.seldon.io/v1:SeldonDeployment"
EW = "kubernetes:autoscaling.alibabacloud.com/v1beta1:ElasticWorkload"
RP = "kubernetes:scheduling.alibabacloud.com/v1alpha1:ResourcePolicy"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
IMAGE_CACHE = "kubernetes:eci.alibabacloud.com/v1:ImageCache"
BUCKET = "alicloud:oss/bucket:Bucket"
BUCKET_POLICY = "alicloud:oss/bucketPolicy:BucketPolicy"
BUCKET_PAB = "alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PAB = "alicloud:oss/accountPublicAccessBlock:AccountPublicAccessBlock"

SECRET_VALUE = "s3cr3t-Value-that-must-never-be-printed-0042"
PREDICTOR_LABEL = "eci-inference.io/predictor"

NEW_LEVELS = {
    "oss-public-access-blocked": "mandatory",
    "oss-bucket-policy-not-public": "mandatory",
    "no-privileged-containers": "mandatory",
    "no-host-namespaces": "mandatory",
    "no-host-path-volumes": "mandatory",
    "no-load-balancer-services": "mandatory",
    "prod-hardening": "mandatory",
}


# ---------------------------------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------------------------------


def container(name: str = "serve", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "image": "repo/serve:1.0",
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
        },
    }
    body.update(extra)
    return body


RESTRICTED_POD: dict[str, Any] = {
    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    "automountServiceAccountToken": False,
}
"""What prod-hardening asks of every pod spec on a prod-like stack; the builders' pods have it unless told."""


def deployment(
    containers: list[dict[str, Any]] | None = None,
    name: str = "d",
    labels: dict[str, str] | None = None,
    pod: dict[str, Any] | None = None,
) -> dict[str, Any]:
    listed = containers if containers is not None else [container()]
    template: dict[str, Any] = {"spec": {"containers": listed, **copy.deepcopy(RESTRICTED_POD), **(pod or {})}}
    if labels is not None:
        template["metadata"] = {"labels": labels}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "inference"},
        "spec": {"template": template},
    }


def sdep(labels: dict[str, str] | None = None, pod: dict[str, Any] | None = None) -> dict[str, Any]:
    """SeldonDeployment ``m`` in ``inference``: the operator creates Deployment ``m-predictor-0-serve``."""
    component: dict[str, Any] = {"spec": {"containers": [container()], **copy.deepcopy(RESTRICTED_POD), **(pod or {})}}
    if labels is not None:
        component["metadata"] = {"labels": labels}
    return {
        "apiVersion": "machinelearning.seldon.io/v1",
        "kind": "SeldonDeployment",
        "metadata": {"name": "m", "namespace": "inference"},
        "spec": {"predictors": [{"name": "predictor", "componentSpecs": [component], "graph": {"name": "serve"}}]},
    }


def network_policy(
    selector: dict[str, Any] | None = None, rules: list[dict[str, Any]] | None = None, **spec: Any
) -> dict[str, Any]:
    """A NetworkPolicy in ``inference`` admitting ACK's Ingress controller to port 8000 of the selected pods."""
    admit = {
        "from": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"app": "ingress-nginx"}},
            }
        ],
        "ports": [{"protocol": "TCP", "port": 8000}],
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "m-ingress-only", "namespace": "inference"},
        "spec": {
            "podSelector": selector if selector is not None else {"matchLabels": {"seldon-deployment-id": "m"}},
            "policyTypes": ["Ingress"],
            "ingress": rules if rules is not None else [admit],
            **spec,
        },
    }


def resource_policy(selector: Any, maxima: list[int | None], name: str = "m-rp") -> dict[str, Any]:
    units: list[dict[str, Any]] = []
    for high in maxima:
        unit: dict[str, Any] = {"resource": "eci"}
        if high is not None:
            unit["max"] = high
        units.append(unit)
    return {
        "apiVersion": "scheduling.alibabacloud.com/v1alpha1",
        "kind": "ResourcePolicy",
        "metadata": {"name": name, "namespace": "inference"},
        "spec": {"selector": selector, "strategy": "prefer", "units": units},
    }


def hpa(target: str = "m-predictor-0-serve", max_replicas: Any = 16, kind: str = "Deployment") -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "m-hpa", "namespace": "inference"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
            "minReplicas": 1,
            "maxReplicas": max_replicas,
        },
    }


def ingress(tls: bool = True, host: str = "m.example.com") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "m-predictor", "port": {"number": 8000}}},
                        }
                    ]
                },
            }
        ]
    }
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": "m-tls"}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "m", "namespace": "inference"},
        "spec": spec,
    }


def messages(policy: PackResourcePolicy, resource_type: str, props: dict[str, Any], **kwargs: Any) -> list[str]:
    return check(policy, resource_args(resource_type, props, **kwargs))


def stack(policy: PackStackPolicy, objects: list[Any]) -> list[tuple[str, str | None]]:
    """``(type, props)`` or ``(type, props, protect)`` per resource."""
    resources = [
        policy_resource(item[0], item[1], name=f"r{i}", protect=bool(item[2]) if len(item) > 2 else False)
        for i, item in enumerate(objects)
    ]
    return check_stack(policy, resources)


def one(found: list[str], *fragments: str) -> str:
    assert len(found) == 1, found
    for fragment in fragments:
        assert fragment in found[0], (fragment, found[0])
    return found[0]


# ---------------------------------------------------------------------------------------------------------------
# The pack
# ---------------------------------------------------------------------------------------------------------------


def test_new_policies_are_in_the_pack_with_their_levels() -> None:
    levels = {p.name: p.enforcement_level.value if p.enforcement_level else None for p in POLICIES}
    assert {name: levels.get(name) for name in NEW_LEVELS} == NEW_LEVELS
    assert "prod-hardening" in {p.name for p in STACK_POLICIES}
    assert len(levels) == len(POLICIES)  # one policy per name
    # the existing advisories stay advisory: prod-hardening repeats them at mandatory level for prod-like stacks
    assert levels["ingress-tls"] == "advisory" and levels["containers-non-root"] == "advisory"


@pytest.mark.parametrize("name", sorted(NEW_LEVELS))
def test_new_policies_say_how_to_fix_it(name: str) -> None:
    policy = next(p for p in POLICIES if p.name == name)
    assert "Fix:" in policy.description
    assert policy.remediation_steps
    assert policy.config_schema is None  # none takes configuration; the escape hatch is enforcementLevel


# ---------------------------------------------------------------------------------------------------------------
# no-plaintext-credentials: literal credentials in container env
# ---------------------------------------------------------------------------------------------------------------

CREDENTIAL_ENV_NAMES = [
    "ALICLOUD_SECRET_KEY",
    "OSS_SECRET",
    "API_TOKEN",
    "HF_TOKEN",
    "REDIS_PASSWD",
    "MY_ACCESS_KEY",
    "CLIENT_SECRET_VALUE",
    "OPENAI_API_KEY",
    "TLS_PRIVATE_KEY",
    "ossSecret",
    "DB_PWD",
]
ALREADY_CAUGHT_ENV_NAMES = ["DB_PASSWORD", "OSS_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
"""Names the narrower rule for any key caught before the env rule; they must stay caught."""
HARMLESS_ENV_NAMES = [
    "MODEL_NAME",
    "MAX_TOKEN",
    "TLS_SECRET_NAME",
    "DB_PASSWORD_FILE",
    "TOKEN_URL",
    "PWD",
    "KEYCLOAK_HOST",
    "SECRETARY",
]


def env_messages(*env: dict[str, Any]) -> list[str]:
    return messages(credentials.no_plaintext_credentials, DEPLOYMENT, deployment([container(env=list(env))]))


@pytest.mark.parametrize("name", CREDENTIAL_ENV_NAMES)
def test_literal_credential_in_env_fails_and_secret_key_ref_passes(name: str) -> None:
    found = env_messages({"name": "MODEL_NAME", "value": "m"}, {"name": name, "value": SECRET_VALUE})
    message = one(found, f"spec.template.spec.containers[0].env[1].value (named {name})", "secretKeyRef")
    assert SECRET_VALUE not in message
    assert env_messages({"name": name, "valueFrom": {"secretKeyRef": {"name": "model-keys", "key": "value"}}}) == []


@pytest.mark.parametrize("name", HARMLESS_ENV_NAMES)
def test_env_names_that_are_not_credentials_pass(name: str) -> None:
    assert env_messages({"name": name, "value": "some-literal-value"}) == []
    one(env_messages({"name": name, "value": "some-literal-value"}, {"name": "OSS_SECRET", "value": SECRET_VALUE}), "env[1]")


def test_env_reference_to_another_variable_is_not_a_literal() -> None:
    assert env_messages({"name": "OSS_SECRET", "value": "$(FROM_SECRET)"}) == []
    one(env_messages({"name": "OSS_SECRET", "value": "x$(FROM_SECRET)"}), "env[0].value (named OSS_SECRET)")


def test_literal_credential_in_seldon_env_and_parameters_fails() -> None:
    props = sdep()
    component = props["spec"]["predictors"][0]["componentSpecs"][0]
    component["spec"]["containers"][0]["env"] = [{"name": "API_TOKEN", "value": SECRET_VALUE}]
    props["spec"]["predictors"][0]["graph"]["parameters"] = [{"name": "api_token", "type": "STRING", "value": SECRET_VALUE}]
    found = messages(credentials.no_plaintext_credentials, SDEP, props)
    assert len(found) == 2, found
    assert "componentSpecs[0].spec.containers[0].env[0].value (named API_TOKEN)" in found[0]
    assert "graph.parameters[0].value (named api_token)" in found[1]


def test_secret_names_elsewhere_are_not_credentials() -> None:
    """The broader env rule applies only to env and parameters entries: an Ingress's secretName is a name."""
    assert messages(credentials.no_plaintext_credentials, INGRESS, ingress()) == []  # spec.tls[0].secretName: 'm-tls'
    one(env_messages({"name": "TLS_SECRET", "value": SECRET_VALUE}), "env[0].value (named TLS_SECRET)")


def test_no_report_of_any_policy_repeats_the_credential() -> None:
    names = CREDENTIAL_ENV_NAMES + ALREADY_CAUGHT_ENV_NAMES
    env = [{"name": name, "value": f"{SECRET_VALUE}-{name}"} for name in names]
    props = deployment([container(env=env)])
    reported = [m for policy in RESOURCE_POLICIES for m in messages(policy, DEPLOYMENT, props)]
    assert len([m for m in reported if "plain text" in m]) == len(names)
    assert not any(SECRET_VALUE in m for m in reported), reported
    resources = [policy_resource(DEPLOYMENT, props)]
    stack_reports = [m for policy in STACK_POLICIES for m, _ in check_stack(policy, resources)]
    assert not any(SECRET_VALUE in m for m in stack_reports)


# ---------------------------------------------------------------------------------------------------------------
# no-privileged-containers, no-host-namespaces, no-host-path-volumes, no-load-balancer-services
# ---------------------------------------------------------------------------------------------------------------


def test_privileged_container_fails() -> None:
    policy = podsecurity.no_privileged_containers
    assert messages(policy, DEPLOYMENT, deployment()) == []
    privileged = container(securityContext={"privileged": True, "runAsNonRoot": True, "runAsUser": 1000})
    one(messages(policy, DEPLOYMENT, deployment([container(), privileged])), "containers[1]", "privileged: true")
    one(messages(policy, SDEP, {**sdep(), "spec": {"predictors": [{"name": "p", "componentSpecs": [{"spec": {"containers": [privileged]}}]}]}}),
        "componentSpecs[0].spec.containers[0]", "is privileged")  # fmt: skip


def test_privilege_escalation_and_extra_capabilities_fail() -> None:
    policy = podsecurity.no_privileged_containers
    escalating = container(securityContext={"allowPrivilegeEscalation": True, "runAsNonRoot": True})
    one(messages(policy, DEPLOYMENT, deployment([escalating])), "allowPrivilegeEscalation: true")
    admin = container(securityContext={"capabilities": {"add": ["NET_BIND_SERVICE", "SYS_ADMIN", "CAP_NET_ADMIN"]}})
    one(messages(policy, DEPLOYMENT, deployment([admin])), "adds capabilities NET_ADMIN, SYS_ADMIN")
    baseline = container(securityContext={"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}, "privileged": False})
    assert messages(policy, DEPLOYMENT, deployment([baseline])) == []
    unset = container(securityContext={"runAsNonRoot": True})  # unset allowPrivilegeEscalation is not reported
    assert messages(policy, DEPLOYMENT, deployment([unset])) == []


@pytest.mark.parametrize("key", ["hostNetwork", "hostPID", "hostIPC"])
def test_host_namespaces_fail(key: str) -> None:
    policy = podsecurity.no_host_namespaces
    one(messages(policy, DEPLOYMENT, deployment(pod={key: True})), "pod spec spec.template.spec", f"{key}: true")
    one(messages(policy, SDEP, sdep(pod={key: True})), "componentSpecs[0].spec", f"{key}: true")
    assert messages(policy, DEPLOYMENT, deployment(pod={key: False})) == []
    assert messages(policy, DEPLOYMENT, deployment()) == []


def test_bare_pod_with_host_network_fails() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [container()], "hostNetwork": True},
    }
    one(messages(podsecurity.no_host_namespaces, POD, pod), "Pod p", "hostNetwork: true")


def test_host_path_volumes_fail() -> None:
    policy = podsecurity.no_host_path_volumes
    volumes = [{"name": "scratch", "emptyDir": {}}, {"name": "node", "hostPath": {"path": "/var/run"}}]
    one(messages(policy, DEPLOYMENT, deployment(pod={"volumes": volumes})), "volumes[1] 'node'", "'/var/run'", "hostPath")
    one(messages(policy, SDEP, sdep(pod={"volumes": volumes})), "componentSpecs[0].spec volumes[1]")
    good = [{"name": "model", "persistentVolumeClaim": {"claimName": "m"}}, {"name": "scratch", "emptyDir": {}}]
    assert messages(policy, DEPLOYMENT, deployment(pod={"volumes": good})) == []
    host_pv = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "v"}, "spec": {"hostPath": {"path": "/data"}}}
    one(messages(policy, PV, host_pv), "PersistentVolume v", "spec.hostPath '/data'")
    oss_pv = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "v"},
              "spec": {"csi": {"driver": "ossplugin.csi.alibabacloud.com", "volumeHandle": "v"}}}  # fmt: skip
    assert messages(policy, PV, oss_pv) == []


def test_load_balancer_service_fails() -> None:
    policy = podsecurity.no_load_balancer_services

    def service(service_type: str | None) -> dict[str, Any]:
        spec: dict[str, Any] = {"ports": [{"port": 8000}], "selector": {"app": "m"}}
        if service_type:
            spec["type"] = service_type
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "m", "namespace": "inference"}, "spec": spec}

    one(messages(policy, SERVICE, service("LoadBalancer")), "Service inference/m is of type LoadBalancer")
    assert messages(policy, SERVICE, service("ClusterIP")) == []
    assert messages(policy, SERVICE, service(None)) == []
    assert not policy.applies("kubernetes:core/v1:ServiceAccount")


# ---------------------------------------------------------------------------------------------------------------
# OSS: public access block, bucket policy
# ---------------------------------------------------------------------------------------------------------------


def test_public_access_block_turned_off_fails() -> None:
    policy = storage.oss_public_access_blocked
    assert messages(policy, BUCKET_PAB, {"bucket": "b", "blockPublicAccess": True}) == []
    one(messages(policy, BUCKET_PAB, {"bucket": "b", "blockPublicAccess": False}), "blockPublicAccess is False")
    one(messages(policy, ACCOUNT_PAB, {"blockPublicAccess": False}), "every bucket of the account")
    assert messages(policy, ACCOUNT_PAB, {"blockPublicAccess": True}) == []


def bucket_policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


ANONYMOUS_READ = {
    "Effect": "Allow",
    "Action": ["oss:GetObject"],
    "Principal": ["*"],
    "Resource": ["acs:oss:*:*:b/*"],
}


@pytest.mark.parametrize("principal", ["*", ["*"], ["1234567890", "*"]])
def test_bucket_policy_granting_anonymous_access_fails(principal: Any) -> None:
    policy = storage.oss_bucket_policy_not_public
    document = bucket_policy({**ANONYMOUS_READ, "Principal": principal})
    one(messages(policy, BUCKET_POLICY, {"bucket": "b", "policy": document}), "Statement[0] allows oss:GetObject to anyone")


def test_bucket_policy_for_named_principals_or_deny_passes() -> None:
    policy = storage.oss_bucket_policy_not_public
    one(messages(policy, BUCKET_POLICY, {"bucket": "b", "policy": bucket_policy(ANONYMOUS_READ)}), "to anyone")
    named = bucket_policy({**ANONYMOUS_READ, "Principal": ["1234567890"]})
    deny = bucket_policy({**ANONYMOUS_READ, "Effect": "Deny"})
    assert messages(policy, BUCKET_POLICY, {"bucket": "b", "policy": named}) == []
    assert messages(policy, BUCKET_POLICY, {"bucket": "b", "policy": deny}) == []
    assert messages(policy, BUCKET, {"bucket": "b"}) == []  # no inline policy


def test_bucket_inline_policy_and_bad_json() -> None:
    policy = storage.oss_bucket_policy_not_public
    inline = {"bucket": "b", "policy": bucket_policy({"Effect": "Deny", "Principal": ["*"]}, ANONYMOUS_READ)}
    one(messages(policy, BUCKET, inline), "Bucket r", "Statement[1]", "to anyone")
    one(messages(policy, BUCKET_POLICY, {"bucket": "b", "policy": "{not json"}), "not valid JSON")


# ---------------------------------------------------------------------------------------------------------------
# hpa-max-within-elastic-capacity in resourcePolicy mode
# ---------------------------------------------------------------------------------------------------------------

SELECTOR = {PREDICTOR_LABEL: "m-predictor"}


def rp_mode(max_replicas: Any = 16, selector: Any = None, maxima: list[int | None] | None = None) -> list[Any]:
    """The staging shape: SeldonDeployment with the predictor label, a ResourcePolicy over it, the HPA on its Deployment."""
    return [
        (SDEP, sdep(labels=SELECTOR)),
        (RP, resource_policy(SELECTOR if selector is None else selector, [2, 4, 10] if maxima is None else maxima)),
        (HPA, hpa(max_replicas=max_replicas)),
        (INGRESS, ingress()),
    ]


def capacity(objects: list[Any]) -> list[str]:
    return [m for m, _ in stack(autoscaling.hpa_max_within_elastic_capacity, objects)]


def test_resource_policy_capacity_fails_above_the_sum_of_units() -> None:
    assert capacity(rp_mode(16)) == []
    message = one(
        capacity(rp_mode(17)), "HorizontalPodAutoscaler inference/m-hpa maxReplicas 17", "ResourcePolicy inference/m-rp"
    )
    assert "16 (units 2 + 4 + 10)" in message and "Deployment 'm-predictor-0-serve'" in message


def test_resource_policy_capacity_reports_on_the_hpa() -> None:
    found = stack(autoscaling.hpa_max_within_elastic_capacity, rp_mode(30))
    assert [urn for _, urn in found] == ["urn:pulumi:test::eci-inference::" + HPA + "::r2"]


def test_resource_policy_that_selects_other_pods_is_not_compared() -> None:
    assert capacity(rp_mode(30)) != []
    assert capacity(rp_mode(30, selector={PREDICTOR_LABEL: "other-predictor"})) == []
    assert capacity(rp_mode(30, selector={PREDICTOR_LABEL: "m-predictor", "tier": "gpu"})) == []


def test_resource_policy_with_an_unbounded_unit_is_not_bounded() -> None:
    assert capacity(rp_mode(30, maxima=[2, 3])) != []
    assert capacity(rp_mode(30, maxima=[2, None])) == []


def test_resource_policy_over_a_plain_deployment() -> None:
    objects = [
        (DEPLOYMENT, deployment(name="server", labels={"app": "server", "tier": "gpu"})),
        (RP, resource_policy({"app": "server"}, [1, 2])),
        (HPA, hpa(target="server", max_replicas=4)),
    ]
    one(capacity(objects), "maxReplicas 4", "3 (units 1 + 2)")
    objects[2] = (HPA, hpa(target="server", max_replicas=3))
    assert capacity(objects) == []
    stateful = [(STATEFUL_SET, {**deployment(name="s", labels={"app": "s"}), "kind": "StatefulSet"}),
                (RP, resource_policy({"app": "s"}, [1])), (HPA, hpa(target="s", max_replicas=2, kind="StatefulSet"))]  # fmt: skip
    one(capacity(stateful), "StatefulSet 's'", "1 (units 1)")


def test_resource_policy_in_another_namespace_is_not_compared() -> None:
    objects = rp_mode(30)
    assert capacity(objects) != []
    objects[1] = (RP, {**resource_policy(SELECTOR, [1]), "metadata": {"name": "m-rp", "namespace": "other"}})
    assert capacity(objects) == []


def test_resource_policy_unknown_selector_is_not_a_silent_pass() -> None:
    message = one(capacity(rp_mode(30, selector=UNKNOWN)), "could not check which ResourcePolicy places the pods")
    assert "spec.selector" in message and "not a confirmed violation" in message


def test_resource_policy_unknown_unit_max_is_reported() -> None:
    objects = rp_mode(30)
    objects[1][1]["spec"]["units"][1]["max"] = UNKNOWN
    one(capacity(objects), "could not check maxReplicas of HorizontalPodAutoscaler inference/m-hpa", "spec.units[1].max")


def test_resource_policy_unknown_pod_labels_are_reported() -> None:
    objects = rp_mode(30)
    objects[0] = (SDEP, sdep(labels={PREDICTOR_LABEL: UNKNOWN}))
    one(capacity(objects), "could not check which ResourcePolicy places the pods", "metadata.labels")


def test_both_modes_in_one_stack() -> None:
    """The ElasticWorkload check is unchanged, and a second model in resourcePolicy mode is checked beside it."""
    ew = {
        "apiVersion": "autoscaling.alibabacloud.com/v1beta1",
        "kind": "ElasticWorkload",
        "metadata": {"name": "m-ew", "namespace": "inference"},
        "spec": {"sourceTarget": {"name": "m-predictor-0-serve", "kind": "Deployment", "max": 1},
                 "elasticUnit": [{"name": "a", "min": 0, "max": 3}]},
    }  # fmt: skip
    objects: list[Any] = [(SDEP, sdep()), (EW, ew), (HPA, hpa(target="m-ew", max_replicas=5, kind="ElasticWorkload"))]
    one(capacity(objects), "4 (units 3 + sourceTarget 1)")
    other = hpa(target="n", max_replicas=9)
    other["metadata"]["name"] = "n-hpa"
    objects += [
        (DEPLOYMENT, deployment(name="n", labels={"app": "n"})),
        (RP, resource_policy({"app": "n"}, [8], "n-rp")),
        (HPA, other),
    ]
    found = capacity(objects)
    assert len(found) == 2 and "ResourcePolicy inference/n-rp" in found[1] and "9" in found[1], found


# ---------------------------------------------------------------------------------------------------------------
# prod-hardening
# ---------------------------------------------------------------------------------------------------------------

ROOT = container(securityContext={"runAsUser": 0, "readOnlyRootFilesystem": True})


def hardening_messages(objects: list[Any]) -> list[str]:
    return [m for m, _ in stack(hardening.prod_hardening, objects)]


def test_stack_that_is_not_prod_like_keeps_them_advisory() -> None:
    objects = [(BUCKET, {"bucket": "b"}, False), (INGRESS, ingress(tls=False)), (DEPLOYMENT, deployment([ROOT]))]
    assert hardening_messages(objects) == []
    objects[0] = (BUCKET, {"bucket": "b"}, True)  # the same stack, protecting its bucket
    assert len(hardening_messages(objects)) == 2


def test_protected_bucket_makes_missing_tls_mandatory() -> None:
    objects = [(BUCKET, {"bucket": "b"}, True), (INGRESS, ingress(tls=False)), (DEPLOYMENT, deployment())]
    message = one(hardening_messages(objects), "prod-like (Bucket r0 is protected)", "Ingress inference/m has no spec.tls")
    assert "mandatory" in message


def test_tls_on_one_ingress_makes_root_and_other_hosts_mandatory() -> None:
    partial_tls = ingress()
    partial_tls["spec"]["rules"].append({"host": "plain.example.com", "http": partial_tls["spec"]["rules"][0]["http"]})
    objects = [
        (INGRESS, partial_tls),
        (SDEP, sdep()),
        (NETWORK_POLICY, network_policy()),
        (DEPLOYMENT, deployment([container(), ROOT])),
    ]
    found = hardening_messages(objects)
    assert len(found) == 2, found
    assert "prod-like (Ingress inference/m sets spec.tls)" in found[0] and "'plain.example.com'" in found[0]
    assert "containers[1]" in found[1] and "runs as root (runAsUser: 0)" in found[1]


def test_container_without_non_root_setting_fails_on_prod_like_stack() -> None:
    bare = {"name": "x", "image": "r/x:1", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}
    objects = [(BUCKET, {"bucket": "b"}, True), (INGRESS, ingress()), (SDEP, sdep()), (NETWORK_POLICY, network_policy())]
    found = hardening_messages([*objects, (DEPLOYMENT, deployment([bare]))])
    assert len(found) == 2, found
    assert "sets neither runAsNonRoot" in found[0] and "has a writable root filesystem" in found[1]


def test_prod_like_stack_that_is_hardened_passes() -> None:
    objects = [
        (BUCKET, {"bucket": "b"}, True),
        (INGRESS, ingress()),
        (SDEP, sdep()),
        (NETWORK_POLICY, network_policy()),
        (DEPLOYMENT, deployment()),
    ]
    assert hardening_messages(objects) == []
    mandatory = [p for p in STACK_POLICIES if p.enforcement_level is not None and p.enforcement_level.value == "mandatory"]
    assert [m for policy in mandatory for m, _ in stack(policy, objects)] == []


def test_prod_hardening_unknown_tls() -> None:
    unknown_tls = copy.deepcopy(ingress())
    unknown_tls["spec"]["tls"] = UNKNOWN
    # whether the stack is prod-like is unknown, and a root container would matter: not a silent pass
    message = one(hardening_messages([(INGRESS, unknown_tls), (DEPLOYMENT, deployment([ROOT]))]), "could not check whether")
    assert "spec.tls" in message and "not a confirmed violation" in message
    assert hardening_messages([(INGRESS, unknown_tls), (DEPLOYMENT, deployment())]) == []
    # prod-like through the bucket: the Ingress's unknown TLS is itself a "could not check"
    found = hardening_messages([(BUCKET, {"bucket": "b"}, True), (INGRESS, unknown_tls)])
    one(found, "could not check TLS on Ingress inference/m")


# ---------------------------------------------------------------------------------------------------------------
# prod-hardening: restricted pods and the NetworkPolicy (issue 20)
# ---------------------------------------------------------------------------------------------------------------

PROD = (BUCKET, {"bucket": "b"}, True)


def prod_messages(*objects: Any) -> list[str]:
    """prod-hardening's messages on a prod-like stack (protected bucket, TLS Ingress) holding ``objects``."""
    found = hardening_messages([PROD, (INGRESS, ingress()), *objects])
    assert all(m.startswith("this stack is prod-like (Bucket r0 is protected") for m in found if "could not" not in m)
    return found


def restricted_sdep(**pod: Any) -> dict[str, Any]:
    return sdep(pod=pod)


def test_the_restricted_builders_pass() -> None:
    assert prod_messages((SDEP, sdep()), (NETWORK_POLICY, network_policy())) == []


@pytest.mark.parametrize("profile", ["RuntimeDefault", "Localhost"])
def test_a_pod_seccomp_profile_the_restricted_standard_allows_passes(profile: str) -> None:
    pod = restricted_sdep(securityContext={"seccompProfile": {"type": profile}})
    assert prod_messages((SDEP, pod), (NETWORK_POLICY, network_policy())) == []


@pytest.mark.parametrize("context", [{}, {"seccompProfile": {"type": "Unconfined"}}, {"runAsUser": 1000}])
def test_a_pod_without_a_confining_seccomp_profile_fails(context: dict[str, Any]) -> None:
    found = prod_messages((SDEP, restricted_sdep(securityContext=context)), (NETWORK_POLICY, network_policy()))
    message = one(found, "without a RuntimeDefault seccomp profile", "container 'serve'")
    assert "SeldonDeployment inference/m: pod spec spec.predictors[0].componentSpecs[0].spec" in message


def test_seccomp_on_every_container_instead_of_the_pod_passes_and_one_missing_fails() -> None:
    confined = {**container()["securityContext"], "seccompProfile": {"type": "RuntimeDefault"}}
    both = [container("a", securityContext=confined), container("b", securityContext=confined)]
    objects: list[Any] = [(NETWORK_POLICY, network_policy())]
    assert prod_messages((DEPLOYMENT, deployment(both, pod={"securityContext": {}})), *objects) == []
    one_open = [container("a", securityContext=confined), container("b")]
    message = one(prod_messages((DEPLOYMENT, deployment(one_open, pod={"securityContext": {}})), *objects), "seccomp")
    assert "container 'b'" in message and "container 'a'" not in message


def test_a_container_that_opts_out_of_the_pod_seccomp_profile_fails() -> None:
    unconfined = {**container()["securityContext"], "seccompProfile": {"type": "Unconfined"}}
    pod = deployment([container("a"), container("b", securityContext=unconfined)])
    message = one(prod_messages((DEPLOYMENT, pod), (NETWORK_POLICY, network_policy())), "seccomp")
    assert "container 'b' (spec.template.spec.containers[1]) (Unconfined)" in message
    assert "container 'a'" not in message


@pytest.mark.parametrize("pod", [{"automountServiceAccountToken": True}, {"automountServiceAccountToken": None}])
def test_a_mounted_service_account_token_fails(pod: dict[str, Any]) -> None:
    found = prod_messages((SDEP, restricted_sdep(**pod)), (NETWORK_POLICY, network_policy()))
    one(found, "mounts a service-account token (automountServiceAccountToken is not false)")


@pytest.mark.parametrize("value", [False, None, "true"])
def test_a_writable_root_filesystem_fails_for_every_container_init_containers_too(value: Any) -> None:
    writable = {**container()["securityContext"], "readOnlyRootFilesystem": value}
    pod = deployment([container("main")], pod={"initContainers": [container("init", securityContext=writable)]})
    message = one(prod_messages((DEPLOYMENT, pod)), "has a writable root filesystem")
    assert "container 'init' (spec.template.spec.initContainers[0])" in message


def test_restricted_pod_rules_stay_silent_on_a_stack_that_is_not_prod_like() -> None:
    loose = sdep(pod={"securityContext": {}, "automountServiceAccountToken": True})
    loose["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"] = [container(securityContext={"runAsUser": 1})]
    assert hardening_messages([(BUCKET, {"bucket": "b"}, False), (INGRESS, ingress(tls=False)), (SDEP, loose)]) == []


SELECTED_BY = [
    {"matchLabels": {"seldon-deployment-id": "m"}},  # the operator's label
    {"matchLabels": {"app": "m-predictor-0-serve"}},  # the operator's Deployment name label
    {"matchLabels": {PREDICTOR_LABEL: "m-predictor"}},  # the componentSpec's own label
    {},  # every pod of the namespace
    {"matchExpressions": [{"key": PREDICTOR_LABEL, "operator": "In", "values": ["x", "m-predictor"]}]},
    {"matchExpressions": [{"key": "seldon-deployment-id", "operator": "Exists"}]},
    {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]},
    {"matchExpressions": [{"key": PREDICTOR_LABEL, "operator": "NotIn", "values": ["other"]}]},
]


@pytest.mark.parametrize("selector", SELECTED_BY)
def test_a_network_policy_that_selects_the_predictor_pods_passes(selector: dict[str, Any]) -> None:
    labelled = sdep(labels={PREDICTOR_LABEL: "m-predictor"})
    assert prod_messages((SDEP, labelled), (NETWORK_POLICY, network_policy(selector))) == []


NOT_SELECTED_BY = [
    {"matchLabels": {"seldon-deployment-id": "n"}},
    {"matchLabels": {"seldon-deployment-id": "m", "tier": "web"}},
    {"matchExpressions": [{"key": PREDICTOR_LABEL, "operator": "NotIn", "values": ["m-predictor"]}]},
    {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
    {"matchExpressions": [{"key": PREDICTOR_LABEL, "operator": "DoesNotExist"}]},
]


@pytest.mark.parametrize("selector", NOT_SELECTED_BY)
def test_a_network_policy_over_other_pods_leaves_the_predictor_open(selector: dict[str, Any]) -> None:
    labelled = sdep(labels={PREDICTOR_LABEL: "m-predictor"})
    message = one(prod_messages((SDEP, labelled), (NETWORK_POLICY, network_policy(selector))), "no NetworkPolicy")
    assert "SeldonDeployment inference/m predictor 'predictor' componentSpecs[0]" in message
    assert "any pod in the cluster can reach the model server directly" in message


def test_no_network_policy_or_one_in_another_namespace_or_for_egress_only_fails() -> None:
    one(prod_messages((SDEP, sdep())), "no NetworkPolicy in namespace 'inference' selects its pods")
    elsewhere = network_policy()
    elsewhere["metadata"]["namespace"] = "default"
    one(prod_messages((SDEP, sdep()), (NETWORK_POLICY, elsewhere)), "no NetworkPolicy")
    egress_only = network_policy(policyTypes=["Egress"])
    one(prod_messages((SDEP, sdep()), (NETWORK_POLICY, egress_only)), "no NetworkPolicy")
    implied = network_policy()
    del implied["spec"]["policyTypes"]  # unset: Ingress is implied
    assert prod_messages((SDEP, sdep()), (NETWORK_POLICY, implied)) == []


def test_a_rule_without_from_admits_everyone_and_fails() -> None:
    found = prod_messages((SDEP, sdep()), (NETWORK_POLICY, network_policy(rules=[{"ports": [{"port": 8000}]}])))
    one(found, "NetworkPolicy inference/m-ingress-only has an ingress rule without `from`, which admits every source")
    # a second, open policy beside a good one opens the pods all the same
    other = network_policy(rules=[{"from": []}])
    other["metadata"]["name"] = "open"
    found = prod_messages((SDEP, sdep()), (NETWORK_POLICY, network_policy()), (NETWORK_POLICY, other))
    one(found, "NetworkPolicy inference/open has an ingress rule without `from`")


def test_an_unknown_selector_is_not_a_silent_pass() -> None:
    unknown = network_policy()
    unknown["spec"]["podSelector"] = UNKNOWN
    message = one(prod_messages((SDEP, sdep()), (NETWORK_POLICY, unknown)), "could not check the NetworkPolicies over")
    assert "spec.podSelector" in message


def test_the_pack_derives_the_deployment_label_the_program_names() -> None:
    """The operator's ``app`` label is the predictor Deployment's name, which the program's naming derives."""
    from components.naming import CONTAINERS, model_names

    ours = sdep()
    ours["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"] = [container(name) for name in CONTAINERS]
    selector = {"matchLabels": {"app": model_names("inference", "m", "predictor").predictor_deployment}}
    assert prod_messages((SDEP, ours), (NETWORK_POLICY, network_policy(selector))) == []
    wrong = {"matchLabels": {"app": "m-predictor-0-serve"}}
    one(prod_messages((SDEP, ours), (NETWORK_POLICY, network_policy(wrong))), "no NetworkPolicy")


def test_the_deployment_label_follows_the_operators_name_as_prefix_setting() -> None:
    """With ``manager.deploymentNameAsPrefix`` on the stack's seldon-core-operator release, a Deployment name past 63
    characters is ``<sdep>-<md5 of the long name>`` (seldon-core 1.17.1 ``GetDeploymentName``), and so is its ``app``
    label."""
    import hashlib

    name = "m" * 30
    long_sdep = sdep()
    long_sdep["metadata"]["name"] = name
    full = f"{name}-predictor-0-serve" + "-x" * 20
    long_sdep["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"][0]["name"] = "serve" + "-x" * 20
    prefixed = f"{name}-{hashlib.md5(full.encode()).hexdigest()}"
    hashed = f"seldon-{hashlib.md5(full.encode()).hexdigest()}"
    release = {"chart": "seldon-core-operator", "values": {"manager": {"deploymentNameAsPrefix": True}}}
    objects: list[Any] = [(SDEP, long_sdep), ("kubernetes:helm.sh/v3:Release", release)]
    assert prod_messages(*objects, (NETWORK_POLICY, network_policy({"matchLabels": {"app": prefixed}}))) == []
    one(prod_messages(*objects, (NETWORK_POLICY, network_policy({"matchLabels": {"app": hashed}}))), "no NetworkPolicy")
    release["values"] = {}
    assert prod_messages(*objects, (NETWORK_POLICY, network_policy({"matchLabels": {"app": hashed}}))) == []


ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"


def isvc(**pod: Any) -> dict[str, Any]:
    """KServe InferenceService ``m`` in ``inference``, a custom predictor labelled like the program's."""
    predictor = {"labels": {PREDICTOR_LABEL: "m-predictor"}, "containers": [container("kserve-container")]}
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m", "namespace": "inference", "labels": {"team": "ml"}},
        "spec": {"predictor": {**predictor, **copy.deepcopy(RESTRICTED_POD), **pod}},
    }


@pytest.mark.parametrize(
    "selector",
    [
        {"matchLabels": {PREDICTOR_LABEL: "m-predictor"}},  # spec.predictor.labels
        {"matchLabels": {"serving.kserve.io/inferenceservice": "m", "component": "predictor"}},  # KServe's own
        {"matchLabels": {"team": "ml"}},  # the InferenceService's labels
    ],
)
def test_a_kserve_predictor_selected_by_a_network_policy_passes(selector: dict[str, Any]) -> None:
    assert prod_messages((ISVC, isvc()), (NETWORK_POLICY, network_policy(selector))) == []


def test_a_kserve_predictor_without_network_policy_or_restricted_pod_fails() -> None:
    one(prod_messages((ISVC, isvc())), "InferenceService inference/m predictor: no NetworkPolicy")
    found = prod_messages((ISVC, isvc(automountServiceAccountToken=True)), (NETWORK_POLICY, network_policy({})))
    one(found, "InferenceService inference/m: pod spec spec.predictor mounts a service-account token")


# ---------------------------------------------------------------------------------------------------------------
# prod-image-digests (advisory)
# ---------------------------------------------------------------------------------------------------------------

DIGEST = "sha256:" + "0" * 64  # a made-up digest: the policy checks the form, not the registry


def digest_messages(objects: list[Any]) -> list[str]:
    return [m for m, _ in stack(hardening.prod_image_digests, objects)]


def test_digest_policy_is_advisory() -> None:
    assert hardening.prod_image_digests.enforcement_level is not None
    assert hardening.prod_image_digests.enforcement_level.value == "advisory"


def test_tags_on_a_prod_like_stack_are_pointed_out_digests_are_not() -> None:
    tagged = deployment([container("a"), container("b", image=f"repo/serve@{DIGEST}"), container("c", image=f"r/c:1@{DIGEST}")])
    cache = {"metadata": {"name": "ns-m"}, "spec": {"images": ["repo/serve:1.0", f"repo/serve@{DIGEST}"]}}
    found = digest_messages([PROD, (DEPLOYMENT, tagged), (IMAGE_CACHE, cache)])
    assert len(found) == 2, found
    assert "container 'a'" in found[0] and "'repo/serve:1.0' by tag, not by digest" in found[0]
    assert found[0].startswith("this stack is prod-like (Bucket r0 is protected)")
    assert "ImageCache ns-m: spec.images[0] 'repo/serve:1.0' is named by tag" in found[1]


def test_tags_on_a_stack_that_is_not_prod_like_pass() -> None:
    assert digest_messages([(BUCKET, {"bucket": "b"}, False), (DEPLOYMENT, deployment())]) == []


# ---------------------------------------------------------------------------------------------------------------
# Unknown values: reported as "could not check", never a silent pass
# ---------------------------------------------------------------------------------------------------------------

UNKNOWN_CASES: list[tuple[PackResourcePolicy, str, dict[str, Any], str]] = [
    (podsecurity.no_privileged_containers, DEPLOYMENT, deployment([container(securityContext={"privileged": UNKNOWN})]),
     "securityContext.privileged"),
    (podsecurity.no_host_namespaces, DEPLOYMENT, deployment(pod={"hostNetwork": UNKNOWN}), "spec.template.spec.hostNetwork"),
    (podsecurity.no_host_path_volumes, DEPLOYMENT, deployment(pod={"volumes": [{"name": "v", "hostPath": UNKNOWN}]}),
     "spec.template.spec.volumes[0].hostPath"),
    (podsecurity.no_load_balancer_services, SERVICE, {"metadata": {"name": "s"}, "spec": {"type": UNKNOWN}}, "spec.type"),
    (storage.oss_public_access_blocked, BUCKET_PAB, {"bucket": "b", "blockPublicAccess": UNKNOWN}, "`blockPublicAccess`"),
    (storage.oss_bucket_policy_not_public, BUCKET_POLICY, {"bucket": "b", "policy": UNKNOWN}, "`policy`"),
]  # fmt: skip


@pytest.mark.parametrize(("policy", "resource_type", "props", "path"), UNKNOWN_CASES, ids=[c[0].name for c in UNKNOWN_CASES])
def test_unknown_values_are_reported_as_not_checked(
    policy: PackResourcePolicy, resource_type: str, props: dict[str, Any], path: str
) -> None:
    message = one(messages(policy, resource_type, props), "could not check", path, "unknown during preview")
    assert "not a confirmed violation" in message


def test_passing_resources_pass_every_new_policy() -> None:
    """The builders' defaults are clean: the failures above come from what each test changes."""
    new = [p for p in RESOURCE_POLICIES if p.name in NEW_LEVELS]
    assert len(new) == len(NEW_LEVELS) - 1  # every new policy but the stack policy prod-hardening
    for resource_type, props in [(DEPLOYMENT, deployment()), (SDEP, sdep()), (INGRESS, ingress())]:
        assert [m for p in new for m in messages(p, resource_type, props)] == [], resource_type
