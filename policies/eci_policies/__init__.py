"""The policies of the ``eci-inference`` policy pack.

Importable on its own (``import eci_policies`` from the pack directory, as ``pulumi --policy-pack policies`` runs
it) and as ``policies.eci_policies`` from the repository root (the tests). It imports nothing from the program.
"""

from __future__ import annotations

from .autoscaling import hpa_autoscaling_v2, hpa_behavior, hpa_max_within_elastic_capacity
from .credentials import no_plaintext_credentials
from .elastic import eci_specs_allowed, elastic_unit_bounds, elastic_unit_order, spot_price_limit
from .framework import PackResourcePolicy, PackStackPolicy
from .hardening import prod_hardening, prod_image_digests
from .ingress import ingress_tls
from .kserve import kserve_external_autoscaler
from .podsecurity import no_host_namespaces, no_host_path_volumes, no_load_balancer_services, no_privileged_containers
from .storage import (
    model_bucket_protected,
    oss_bucket_encrypted,
    oss_bucket_policy_not_public,
    oss_bucket_private,
    oss_public_access_blocked,
)
from .volume_auth import oss_volume_auth_where_mounted
from .wiring import inference_wiring
from .workloads import container_resource_requests, containers_non_root, gpu_requests_equal_limits, image_pinned

PACK_NAME = "eci-inference-policies"

RESOURCE_POLICIES: list[PackResourcePolicy] = [
    no_plaintext_credentials,
    oss_bucket_encrypted,
    oss_bucket_private,
    oss_public_access_blocked,
    oss_bucket_policy_not_public,
    no_privileged_containers,
    no_host_namespaces,
    no_host_path_volumes,
    no_load_balancer_services,
    gpu_requests_equal_limits,
    container_resource_requests,
    image_pinned,
    hpa_autoscaling_v2,
    elastic_unit_bounds,
    elastic_unit_order,
    eci_specs_allowed,
    ingress_tls,
    hpa_behavior,
    spot_price_limit,
    containers_non_root,
    model_bucket_protected,
]

STACK_POLICIES: list[PackStackPolicy] = [
    hpa_max_within_elastic_capacity,
    inference_wiring,
    prod_hardening,
    oss_volume_auth_where_mounted,
    kserve_external_autoscaler,
    prod_image_digests,
]

POLICIES: list[PackResourcePolicy | PackStackPolicy] = [*RESOURCE_POLICIES, *STACK_POLICIES]

__all__ = ["PACK_NAME", "POLICIES", "RESOURCE_POLICIES", "STACK_POLICIES", "PackResourcePolicy", "PackStackPolicy"]
