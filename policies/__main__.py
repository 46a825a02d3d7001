"""Entry point of the policy pack: assembles the PolicyPack from ``eci_policies`` and serves it to the engine."""

from typing import TYPE_CHECKING

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

if TYPE_CHECKING:  # mypy runs from the repository root, where the pack is the package ``policies``
    from policies.eci_policies import PACK_NAME, POLICIES
else:  # Pulumi runs this file from the pack directory (runpy.run_path), where ``eci_policies`` is top level
    from eci_policies import PACK_NAME, POLICIES

policies: list[Policy] = list(POLICIES)

PolicyPack(name=PACK_NAME, policies=policies, enforcement_level=EnforcementLevel.ADVISORY)
